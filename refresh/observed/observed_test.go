package observed

import "testing"

// TestKeys: the keys World's maps are indexed by name an object's kind,
// namespace and name (and a Secret's data key) unambiguously, so that the
// planner and refresh find the same entry.
func TestKeys(t *testing.T) {
	cases := map[string]struct {
		got, want string
	}{
		"published ConfigMap":  {PublishedKey("configmap", "team-a", "trust"), "configmap:team-a/trust"},
		"published Secret":     {PublishedKey("secret", "team-a", "trust"), "secret:team-a/trust"},
		"keystore in a Secret": {UnopenedKey("team-a", "web-tls", "keystore.p12"), "secret:team-a/web-tls/keystore.p12"},
		"truststore in Secret": {UnopenedKey("team-a", "web-tls", "truststore.jks"), "secret:team-a/web-tls/truststore.jks"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	if PublishedKey("configmap", "a", "b") == PublishedKey("secret", "a", "b") {
		t.Error("a ConfigMap and a Secret of one name share a key")
	}
	if UnopenedKey("a", "b", "keystore.p12") == UnopenedKey("a", "b", "keystore.jks") {
		t.Error("two keystores of one Secret share a key")
	}
}
