package main

import "strings"

// applySavedCommand is the command line that applies the plan saved to
// path, which is relative to the configuration directory: with the
// --chdir the plan was made with, or apply would look in the wrong place.
func applySavedCommand(chdir, path string) string {
	if chdir == "" {
		return "certform apply " + shellQuote(path)
	}
	return "certform --chdir " + shellQuote(chdir) + " apply " + shellQuote(path)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that need no quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellUnquote is word as a POSIX shell would pass it on: backslash
// escapes and single and double quotes removed. A completion script hands
// certform the words as typed (certificate.web\[\"a, 'certificate.w), and
// a quote still open is the word being typed, so it simply ends there.
func shellUnquote(word string) string {
	var b strings.Builder
	var quote rune // 0, '\'' or '"'
	escaped := false
	for _, r := range word {
		switch {
		case escaped:
			if quote == '"' && !strings.ContainsRune("$`\"\\\n", r) {
				b.WriteRune('\\') // inside "", a backslash escapes only these
			}
			b.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		case r == quote:
			quote = 0
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
