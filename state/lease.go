package state

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const annoLockInfo = "certform.dev/lock-info"

// leaseHolder renews a held Lease until stopped.
type leaseHolder struct {
	id   string
	stop context.CancelFunc
	done sync.WaitGroup
}

func (k *Kubernetes) leaseName() string { return k.Name + "-lock" }

func (k *Kubernetes) ttl() time.Duration {
	if k.LockTTL > 0 {
		return k.LockTTL
	}
	return 30 * time.Second
}

// Lock takes the Lease, waiting up to timeout for a holder to release it
// or for its lease to expire. While held it is renewed every third of the
// TTL, so a run that crashes leaves a lock that expires by itself.
func (k *Kubernetes) Lock(ctx context.Context, info LockInfo, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		holder, err := k.tryLock(ctx, info)
		if err != nil {
			return err
		}
		if holder == nil {
			break
		}
		if !time.Now().Before(deadline) {
			return &LockedError{Path: k.Describe(), Holder: *holder}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	renewCtx, stop := context.WithCancel(context.Background())
	k.lease = &leaseHolder{id: info.ID, stop: stop}
	k.lease.done.Add(1)
	go func() {
		defer k.lease.done.Done()
		t := time.NewTicker(k.ttl() / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				k.renew(renewCtx, info)
			}
		}
	}()
	return nil
}

// tryLock takes the Lease if it is free or expired; otherwise it returns
// who holds it.
func (k *Kubernetes) tryLock(ctx context.Context, info LockInfo) (*LockInfo, error) {
	leases := k.Client.CoordinationV1().Leases(k.Namespace)
	now := metav1.NewMicroTime(time.Now())
	secs := int32(k.ttl().Seconds())
	infoJSON, _ := json.Marshal(info)
	lease, err := leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: k.leaseName(), Annotations: map[string]string{annoLockInfo: string(infoJSON)}},
			Spec: coordv1.LeaseSpec{HolderIdentity: &info.ID, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now}}
		if _, err := leases.Create(ctx, lease, metav1.CreateOptions{}); err == nil {
			return nil, nil
		} else if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("taking the state lock (Lease %s/%s): %w", k.Namespace, k.leaseName(), err)
		}
		return k.tryLock(ctx, info)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state lock (Lease %s/%s): %w", k.Namespace, k.leaseName(), err)
	}
	if holder := currentHolder(lease); holder != nil {
		return holder, nil
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
		return nil, fmt.Errorf("taking the state lock (Lease %s/%s): %w", k.Namespace, k.leaseName(), err)
	}
	return nil, nil
}

// currentHolder is the lock's holder, or nil when it is free or expired.
func currentHolder(lease *coordv1.Lease) *LockInfo {
	s := lease.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" || s.RenewTime == nil || s.LeaseDurationSeconds == nil {
		return nil
	}
	if time.Since(s.RenewTime.Time) > time.Duration(*s.LeaseDurationSeconds)*time.Second {
		return nil // expired: its holder stopped renewing
	}
	var info LockInfo
	json.Unmarshal([]byte(lease.Annotations[annoLockInfo]), &info)
	info.ID = *s.HolderIdentity
	return &info
}

func (k *Kubernetes) renew(ctx context.Context, info LockInfo) {
	leases := k.Client.CoordinationV1().Leases(k.Namespace)
	lease, err := leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != info.ID {
		return
	}
	now := metav1.NewMicroTime(time.Now())
	lease.Spec.RenewTime = &now
	leases.Update(ctx, lease, metav1.UpdateOptions{})
}

// Unlock stops renewing and releases the Lease.
func (k *Kubernetes) Unlock() error {
	if k.lease == nil {
		return nil
	}
	k.lease.stop()
	k.lease.done.Wait()
	id := k.lease.id
	k.lease = nil
	return k.release(context.Background(), id)
}

// release clears the Lease's holder if it is id.
func (k *Kubernetes) release(ctx context.Context, id string) error {
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

// ForceUnlock releases a lock held by id (a crashed runner's, before its
// TTL runs out).
func (k *Kubernetes) ForceUnlock(ctx context.Context, id string) error {
	lease, err := k.Client.CoordinationV1().Leases(k.Namespace).Get(ctx, k.leaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ErrNotLocked
	}
	if err != nil {
		return err
	}
	holder := currentHolder(lease)
	if holder == nil {
		return ErrNotLocked
	}
	if holder.ID != id {
		return fmt.Errorf("the lock ID is %s, not %s", holder.ID, id)
	}
	return k.release(ctx, id)
}
