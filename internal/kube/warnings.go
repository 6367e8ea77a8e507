package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// maxFollowed bounds how many Warning events of one CSR FollowWarnings
// keeps: a signer that reports a new problem every second must not grow
// certform's memory for as long as it waits.
const maxFollowed = 100

// FollowWarnings calls changed with the summary of the Warning events of
// the CSR name with uid (as WarningEvents renders them) once its first list
// is in, then whenever one with a reason or message not seen before
// appears, until ctx ends: a
// third-party signer (cert-manager's among them) says why it does not
// sign only there. It lists, then watches from the list, and lists again
// when the watch expires. It returns nil when ctx ends, else the error
// that stopped it (a list or watch refused, as without the events "watch"
// permission).
func FollowWarnings(ctx context.Context, events corev1client.EventsGetter, name string, uid types.UID, changed func([]string)) error {
	f := warningFollower{changed: changed, seen: map[string]bool{}, first: true}
	sel := warningSelector(name, uid)
	for ctx.Err() == nil {
		list, err := events.Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: sel, Limit: maxFollowed})
		if err != nil {
			return f.stopped(ctx, fmt.Errorf("listing the events of CSR %s: %w", name, explain(err, ruleEventsWatch)))
		}
		f.items = map[types.UID]corev1.Event{}
		for _, ev := range list.Items {
			f.put(ev)
		}
		f.notify()
		w, err := events.Events(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.ResourceVersion})
		if err != nil {
			return f.stopped(ctx, fmt.Errorf("watching the events of CSR %s: %w", name, explain(err, ruleEventsWatch)))
		}
		f.follow(w)
		w.Stop()
	}
	return nil
}

type warningFollower struct {
	changed func([]string)
	seen    map[string]bool // reason and message of every event reported
	items   map[types.UID]corev1.Event
	first   bool // nothing reported yet
}

func (f *warningFollower) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (f *warningFollower) put(ev corev1.Event) {
	if _, ok := f.items[ev.UID]; ok || len(f.items) < maxFollowed {
		f.items[ev.UID] = ev
	}
}

// follow applies the watch's events until it ends (ctx ended, the watch
// expired or failed: the caller lists again).
func (f *warningFollower) follow(w watch.Interface) {
	for ev := range w.ResultChan() {
		e, ok := ev.Object.(*corev1.Event)
		switch {
		case ev.Type == watch.Error:
			return
		case !ok:
			continue
		case ev.Type == watch.Deleted:
			delete(f.items, e.UID)
		case ev.Type == watch.Added || ev.Type == watch.Modified:
			f.put(*e)
			f.notify()
		}
	}
}

// notify calls changed when an event says something not said before; a
// repeat that only raises an event's count is not news.
func (f *warningFollower) notify() {
	news := false
	list := make([]corev1.Event, 0, len(f.items))
	for _, ev := range f.items {
		list = append(list, ev)
		if key := ev.Reason + "\x00" + ev.Message; !f.seen[key] {
			f.seen[key], news = true, true
		}
	}
	if news || f.first {
		f.first = false
		f.changed(summarize(list))
	}
}

// ruleEventsWatch is what following a CSR's events needs, cluster-wide.
var ruleEventsWatch = Rule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"list", "watch"}}
