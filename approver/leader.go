package approver

import (
	"context"
	"fmt"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election says which coordination.k8s.io Lease replicas compete for.
type Election struct {
	Client        kubernetes.Interface
	Namespace     string
	Name          string
	Identity      string        // default: hostname and pid
	LeaseDuration time.Duration // default 15s
}

// WatchAsLeader runs Watch only while this replica holds the Lease, so that
// of several replicas exactly one decides at any time. It returns when ctx
// ends; losing the Lease stops deciding and competes again.
func WatchAsLeader(ctx context.Context, o Options, e Election) error {
	if e.Identity == "" {
		host, _ := os.Hostname()
		e.Identity = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if e.LeaseDuration <= 0 {
		e.LeaseDuration = 15 * time.Second
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: e.Namespace, Name: e.Name},
		Client:     e.Client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.Identity},
	}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   e.LeaseDuration,
			RenewDeadline:   e.LeaseDuration * 2 / 3,
			RetryPeriod:     e.LeaseDuration / 6,
			ReleaseOnCancel: true,
			Name:            e.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					o.Metrics.SetLeader(true)
					Watch(ctx, o)
				},
				OnStoppedLeading: func() { o.Metrics.SetLeader(false) },
			},
		})
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		le.Run(ctx) // returns when leadership is lost or ctx ends
	}
	return nil
}
