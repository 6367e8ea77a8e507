package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/certform/certform/state/backend"
)

const annoLockInfo = "certform.dev/lock-info"

// The Lease lock follows client-go's leader election
// (tools/leaderelection): a waiting run judges a holder's Lease expired
// only when the Lease has not changed for its whole duration by the
// waiter's own clock, never by comparing the holder's renewTime with its
// clock; and the holder gives the lock up when it has not renewed for
// renewDeadline (two thirds of the TTL), before anyone else may take it.
// The elector itself is not used: it logs through klog, has no notion of
// waiting for a bounded time and naming the holder, and keeps no lock
// metadata besides the holder's identity.

// leaseHolder renews a held Lease until stopped.
type leaseHolder struct {
	id   string
	stop context.CancelFunc
	done sync.WaitGroup
}

// observation is a Lease as a waiting run last saw it change, by its
// resourceVersion, and when, by the local clock.
type observation struct {
	rv string
	at time.Time
}

// errTaken is why a renewal fails when another run holds the Lease.
var errTaken = errors.New("another run holds it now")

func (k *Backend) leaseName() string { return k.Name + "-lock" }

// LockName names the Lease that holds the lock, for messages.
func (k *Backend) LockName() string { return "Lease " + k.Namespace + "/" + k.leaseName() }

func (k *Backend) ttl() time.Duration {
	if k.LockTTL > 0 {
		return k.LockTTL
	}
	return 30 * time.Second
}

// renewDeadline is how long the holder keeps the lock without a successful
// renewal: less than the TTL that others wait, so that it stops first.
func (k *Backend) renewDeadline() time.Duration { return k.ttl() * 2 / 3 }

// Lock takes the Lease, waiting up to timeout for a holder to release it
// or for its lease to expire; a Lease that by its renewTime looks
// abandoned is watched for one TTL even when timeout is shorter, so a
// crashed run's lock is taken over without comparing clocks. While held,
// the Lease is renewed every third of the TTL; when renewals fail for two
// thirds of it, or another run took it, the returned context is cancelled
// with a *backend.LockLostError as its cause, before any other run may take it.
func (k *Backend) Lock(ctx context.Context, info backend.LockInfo, timeout time.Duration) (context.Context, error) {
	deadline := time.Now().Add(timeout)
	k.observed = observation{}
	watched := false
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		holder, stale, err := k.tryLock(ctx, info)
		if err != nil || holder == nil {
			return err == nil, err
		}
		if stale > 0 && !watched { // once: a holder that keeps renewing is alive, whatever its clock says
			deadline, watched = later(deadline, time.Now().Add(stale+500*time.Millisecond)), true
		}
		if !time.Now().Before(deadline) {
			return false, &backend.LockedError{Path: k.LockName(), Holder: *holder}
		}
		return false, nil
	})
	if err != nil {
		return nil, err // a *LockedError, a failed request, or ctx's error
	}
	lockCtx, lost := context.WithCancelCause(ctx)
	renewCtx, stop := context.WithCancel(context.Background())
	k.lease = &leaseHolder{id: info.ID, stop: func() { stop(); lost(nil) }}
	k.lease.done.Add(1)
	go func() {
		defer k.lease.done.Done()
		if err := k.keep(renewCtx, info.ID); err != nil {
			lost(&backend.LockLostError{Lease: k.Namespace + "/" + k.leaseName(), Err: err})
		}
	}()
	return lockCtx, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// keep renews the Lease until ctx ends (nil) or the lock is lost.
func (k *Backend) keep(ctx context.Context, id string) error {
	renewed := time.Now()
	var last error // the last failure that was not our own deadline
	next := time.NewTimer(k.ttl() / 3)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-next.C:
		}
		start := time.Now()
		attempt, cancel := context.WithDeadline(ctx, renewed.Add(k.renewDeadline()))
		err := k.renew(attempt, id)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			renewed = start
			next.Reset(k.ttl() / 3)
		case errors.Is(err, errTaken):
			return err
		case time.Since(renewed) >= k.renewDeadline():
			if errors.Is(err, context.DeadlineExceeded) && last != nil {
				err = last
			}
			return fmt.Errorf("not renewed for %s: %w", time.Since(renewed).Round(time.Millisecond), err)
		default:
			last = err
			next.Reset(min(k.ttl()/10, time.Until(renewed.Add(k.renewDeadline()))))
		}
	}
}

// tryLock takes the Lease if it is free or expired; otherwise it returns
// who holds it and, when its renewTime says it expired (by the holder's
// clock), how long it must stay unchanged to be taken.
func (k *Backend) tryLock(ctx context.Context, info backend.LockInfo) (*backend.LockInfo, time.Duration, error) {
	leases := k.Client.CoordinationV1().Leases(k.Namespace)
	now := metav1.NewMicroTime(time.Now())
	secs := int32(k.ttl().Seconds())
	infoJSON, _ := json.Marshal(info)
	lease, err := leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: k.leaseName(), Annotations: map[string]string{annoLockInfo: string(infoJSON)}},
			Spec: coordv1.LeaseSpec{HolderIdentity: &info.ID, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now}}
		if _, err := leases.Create(ctx, lease, metav1.CreateOptions{}); err == nil {
			return nil, 0, nil
		} else if !apierrors.IsAlreadyExists(err) {
			return nil, 0, fmt.Errorf("taking the state lock (%s): %w", k.LockName(), err)
		}
		return k.tryLock(ctx, info)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading the state lock (%s): %w", k.LockName(), err)
	}
	if holder, stale := k.observe(lease); holder != nil {
		return holder, stale, nil
	}
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds = &info.ID, &secs
	lease.Spec.AcquireTime, lease.Spec.RenewTime = &now, &now
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[annoLockInfo] = string(infoJSON)
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); apierrors.IsConflict(err) {
		return k.tryLock(ctx, info) // someone else moved first: look again
	} else if err != nil {
		return nil, 0, fmt.Errorf("taking the state lock (%s): %w", k.LockName(), err)
	}
	return nil, 0, nil
}

// observe records lease as seen now and returns its holder, or nil when it
// is free or has not changed for its whole duration since this run first
// saw it so. stale is that duration when the holder's own renewTime is
// older than it (the holder looks gone), else 0.
func (k *Backend) observe(lease *coordv1.Lease) (holder *backend.LockInfo, stale time.Duration) {
	holder = holderOf(lease)
	if holder == nil {
		return nil, 0
	}
	if lease.ResourceVersion != k.observed.rv {
		k.observed = observation{rv: lease.ResourceVersion, at: time.Now()}
	}
	s := lease.Spec
	duration := k.ttl()
	if s.LeaseDurationSeconds != nil {
		duration = time.Duration(*s.LeaseDurationSeconds) * time.Second
	}
	if time.Since(k.observed.at) > duration {
		return nil, 0 // unchanged for its duration by our clock: its holder stopped renewing
	}
	if s.RenewTime == nil || time.Since(s.RenewTime.Time) > duration {
		stale = duration
	}
	return holder, stale
}

// holderOf is the lock's holder as the Lease names it, or nil when it is
// released.
func holderOf(lease *coordv1.Lease) *backend.LockInfo {
	s := lease.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" {
		return nil
	}
	var info backend.LockInfo
	json.Unmarshal([]byte(lease.Annotations[annoLockInfo]), &info)
	info.ID = *s.HolderIdentity
	return &info
}

// renew moves the Lease's renewTime to now if id still holds it.
func (k *Backend) renew(ctx context.Context, id string) error {
	leases := k.Client.CoordinationV1().Leases(k.Namespace)
	lease, err := leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != id {
		return errTaken
	}
	now := metav1.NewMicroTime(time.Now())
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

// Unlock stops renewing and releases the Lease.
func (k *Backend) Unlock(ctx context.Context) error {
	if k.lease == nil {
		return nil
	}
	k.lease.stop()
	k.lease.done.Wait()
	id := k.lease.id
	k.lease = nil
	return k.release(ctx, id)
}

// release clears the Lease's holder if it is id.
func (k *Backend) release(ctx context.Context, id string) error {
	leases := k.Client.CoordinationV1().Leases(k.Namespace)
	lease, err := leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("releasing the state lock: %w", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != id {
		return nil
	}
	empty := ""
	lease.Spec.HolderIdentity = &empty
	delete(lease.Annotations, annoLockInfo)
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("releasing the state lock: %w", err)
	}
	return nil
}

// Holder returns who holds the Lease, or nil when it is released. Whether
// that run is still alive is not judged here: force-unlock asks the user.
func (k *Backend) Holder(ctx context.Context) (*backend.LockInfo, error) {
	lease, err := k.Client.CoordinationV1().Leases(k.Namespace).Get(ctx, k.leaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state lock (%s): %w", k.LockName(), err)
	}
	return holderOf(lease), nil
}

// ForceUnlock releases a lock held by id (a crashed runner's, before its
// TTL runs out).
func (k *Backend) ForceUnlock(ctx context.Context, id string) error {
	holder, err := k.Holder(ctx)
	if err != nil {
		return err
	}
	if holder == nil {
		return backend.ErrNotLocked
	}
	if holder.ID != id {
		return fmt.Errorf("the lock ID is %s, not %s", holder.ID, id)
	}
	return k.release(ctx, id)
}
