package approver

import (
	"fmt"
	"net/url"
	"strings"
)

// glob matches s against pattern, where "*" stands for any run of
// characters other than sep (any run at all when sep is 0). It runs in time
// linear in len(pattern)+len(s) up to the cost of substring search, never
// backtracking: the strings it sees are chosen by requesters.
//
// Because "*" never matches sep, the i-th sep of the pattern can only match
// the i-th sep of s, so both are cut at sep and matched part by part.
func glob(pattern, s string, sep byte) bool {
	if sep == 0 {
		return globPart(pattern, s)
	}
	if strings.Count(pattern, string(sep)) != strings.Count(s, string(sep)) {
		return false
	}
	for {
		p, pRest, pMore := strings.Cut(pattern, string(sep))
		v, vRest, _ := strings.Cut(s, string(sep))
		if !globPart(p, v) {
			return false
		}
		if !pMore {
			return true
		}
		pattern, s = pRest, vRest
	}
}

// globPart matches s against pattern with "*" matching any run. The first
// literal piece must be a prefix and the last a suffix; the pieces between
// are found left to right, each at its leftmost place, which is always a
// match if any placement is.
func globPart(pattern, s string) bool { return globSteps(pattern, s, new(int)) }

// globSteps is globPart, adding to *steps the characters it compares: at
// most a few times len(pattern)+len(s), whatever the requester chose
// (TestGlobLinear holds it to that).
func globSteps(pattern, s string, steps *int) bool {
	pieces := strings.Split(pattern, "*")
	*steps += len(pattern)
	if len(pieces) == 1 {
		*steps += len(s)
		return pattern == s
	}
	first, last := pieces[0], pieces[len(pieces)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	*steps += len(first) + len(last)
	s = s[len(first) : len(s)-len(last)]
	for _, piece := range pieces[1 : len(pieces)-1] {
		i := index(s, piece, steps)
		if i < 0 {
			return false
		}
		s = s[i+len(piece):]
	}
	return true
}

// index is strings.Index by Knuth, Morris and Pratt: it reads s once,
// never going back, so a search costs O(len(s)+len(piece)) comparisons
// and the searches of one glob, each starting where the last match
// ended, O(len(s)+len(pattern)) together (a failed one ends the glob).
func index(s, piece string, steps *int) int {
	if piece == "" {
		return 0
	}
	// fail[i] is the length of the longest proper prefix of piece[:i+1]
	// that is also its suffix.
	fail := make([]int, len(piece))
	for i, k := 1, 0; i < len(piece); i++ {
		for k > 0 && piece[i] != piece[k] {
			k = fail[k-1]
			*steps++
		}
		if piece[i] == piece[k] {
			k++
		}
		fail[i] = k
		*steps++
	}
	for i, k := 0, 0; i < len(s); i++ {
		for k > 0 && s[i] != piece[k] {
			k = fail[k-1]
			*steps++
		}
		if s[i] == piece[k] {
			k++
		}
		*steps++
		if k == len(piece) {
			return i - len(piece) + 1
		}
	}
	return -1
}

// uriPattern is a parsed entry of allowed.uris: "SCHEME://HOST[:PORT]/PATH"
// where "*" in the host matches within one DNS label and "*" in the path
// within one segment; a last path segment "**" matches any number of
// further segments, none included.
type uriPattern struct {
	raw, scheme, host string
	segments          []string
}

func parseURIPattern(raw string) (uriPattern, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" {
		return uriPattern{}, fmt.Errorf("%q has no scheme; write it as SCHEME://HOST/PATH, e.g. \"spiffe://cluster.local/ns/team-a/sa/*\"", raw)
	}
	host, path, hasPath := strings.Cut(rest, "/")
	if host == "" {
		return uriPattern{}, fmt.Errorf("%q has no host", raw)
	}
	if strings.ContainsAny(rest, "?#@%") {
		return uriPattern{}, fmt.Errorf("%q has a query, fragment, user or escape; patterns match scheme, host and path only", raw)
	}
	p := uriPattern{raw: raw, scheme: strings.ToLower(scheme), host: strings.ToLower(host)}
	if hasPath {
		p.segments = strings.Split(path, "/")
	}
	for i, seg := range p.segments {
		if seg == "**" && i != len(p.segments)-1 {
			return uriPattern{}, fmt.Errorf("%q has \"**\" before its last path segment", raw)
		}
		if seg == "." || seg == ".." {
			return uriPattern{}, fmt.Errorf("%q has a dot segment", raw)
		}
	}
	return p, nil
}

// match reports whether the parsed URI u (already checked to be free of
// user info, query, fragment and dot segments) matches p.
func (p uriPattern) match(u *url.URL, segments []string) bool {
	if strings.ToLower(u.Scheme) != p.scheme || !glob(p.host, strings.ToLower(u.Host), '.') {
		return false
	}
	want := p.segments
	if n := len(want); n > 0 && want[n-1] == "**" {
		if len(segments) < n-1 {
			return false
		}
		want, segments = want[:n-1], segments[:n-1]
	}
	if len(want) != len(segments) {
		return false
	}
	for i := range want {
		if !globPart(want[i], segments[i]) {
			return false
		}
	}
	return true
}

// uriSegments checks a requested URI for what no pattern can vouch for and
// returns its decoded path segments, or why it is refused.
func uriSegments(raw string) (*url.URL, []string, string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, nil, "does not parse"
	case u.Opaque != "" || u.Host == "":
		return nil, nil, "has no host"
	case u.User != nil:
		return nil, nil, "has user info"
	case u.RawQuery != "" || u.ForceQuery:
		return nil, nil, "has a query"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, nil, "has a fragment"
	}
	path := u.EscapedPath()
	if path == "" {
		return u, nil, ""
	}
	var segments []string
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		dec, err := url.PathUnescape(seg)
		switch {
		case err != nil:
			return nil, nil, "has a malformed escape"
		case dec == "." || dec == "..":
			return nil, nil, "has a dot segment"
		case strings.ContainsAny(dec, "/\\") || hasControl(dec):
			return nil, nil, "has an escaped separator or control character in its path"
		}
		segments = append(segments, dec)
	}
	return u, segments, ""
}
