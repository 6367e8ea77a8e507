package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/certform/certform/internal/formats"
)

// A certificate is delivered the ways its consumers read it: besides the
// PEM files and the kubernetes.io/tls Secret, keystores and other formats
// (output.*_file, secret.formats), labels and annotations on the Secret
// (secret.labels, secret.annotations), and actions after its content
// changed (on_change). Keystore passwords are sensitive values: Password
// never prints itself.

type rawKeystore struct {
	Password       *string          `hcl:"password,optional"`
	PasswordSecret *rawSecretKeyRef `hcl:"password_secret,block"`
}

type rawSecretKeyRef struct {
	Namespace string `hcl:"namespace"`
	Name      string `hcl:"name"`
	Key       string `hcl:"key"`
}

type rawOnChange struct {
	Restarts []rawRestart `hcl:"restart,block"`
	Command  []string     `hcl:"command,optional"`
}

type rawRestart struct {
	Kind      string `hcl:"kind"`
	Name      string `hcl:"name"`
	Namespace string `hcl:"namespace,optional"`
}

// Password is a keystore password. It prints as (sensitive value) with
// every verb of package fmt, so it cannot reach a log or an error by
// accident; Reveal gives the value to an encoder.
type Password struct{ value string }

// Reveal returns the password itself, for an encoder only.
func (p Password) Reveal() string { return p.value }

// String hides the password.
func (p Password) String() string { return "(sensitive value)" }

// GoString hides the password from %#v.
func (p Password) GoString() string { return "(sensitive value)" }

// NewPassword wraps a password read at run time (from a Secret).
func NewPassword(value string) Password { return Password{value} }

// Keystore is the keystore block: where keystore passwords come from.
// Exactly one of Password and PasswordSecret is set.
type Keystore struct {
	// Password is set from a sensitive variable.
	Password *Password
	// PasswordSecret is a key of an existing Secret that holds the
	// password; refresh and apply read it, and it is never recorded.
	PasswordSecret *SecretKeyRef
}

// Resolve returns the keystore password: the configured one, or the one
// read (by read, which does the I/O) from its Secret key. A nil k writes no
// keystore and has none.
func (k *Keystore) Resolve(read func(ref SecretKeyRef) ([]byte, error)) (Password, error) {
	switch {
	case k == nil:
		return Password{}, nil
	case k.Password != nil:
		return *k.Password, nil
	}
	v, err := read(*k.PasswordSecret)
	if err != nil {
		return Password{}, fmt.Errorf("reading the keystore password from Secret %s: %w", k.PasswordSecret, err)
	}
	if len(v) == 0 {
		return Password{}, fmt.Errorf("Secret %s holds no keystore password", k.PasswordSecret)
	}
	return Password{string(v)}, nil
}

// SecretKeyRef names one data key of a Secret.
type SecretKeyRef struct{ Namespace, Name, Key string }

// String is namespace/name[key], for messages.
func (r SecretKeyRef) String() string { return fmt.Sprintf("%s/%s[%s]", r.Namespace, r.Name, r.Key) }

// Workload kinds that on_change.restart can restart.
var RestartKinds = []string{"Deployment", "StatefulSet", "DaemonSet"}

// Restart is one on_change.restart block: a workload whose pods are
// restarted, as kubectl rollout restart does, when the certificate's
// content changed.
type Restart struct{ Kind, Namespace, Name string }

// ID identifies the restart in state (pending retries) and plans.
func (r Restart) ID() string { return "restart " + r.Kind + " " + r.Namespace + "/" + r.Name }

// OnChange is the on_change block.
type OnChange struct {
	Restarts []Restart
	// Command is run (without a shell, in the configuration directory)
	// after the files changed; nil for none.
	Command []string
}

// CommandID identifies the command in state and plans.
const CommandID = "command"

// IDs lists the actions' IDs in the order they run: restarts, then the
// command.
func (o OnChange) IDs() []string {
	var out []string
	for _, r := range o.Restarts {
		out = append(out, r.ID())
	}
	if len(o.Command) > 0 {
		out = append(out, CommandID)
	}
	return out
}

// fillDelivery copies the keystore and on_change blocks and the secret
// block's formats, labels and annotations into c, and checks what cannot
// work together.
func (c *Certificate) fillDelivery(raw *rawCertificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if raw.Secret != nil && c.Secret != nil {
		diags = append(diags, c.fillSecretTemplate(raw.Secret)...)
	}
	if k := raw.Keystore; k != nil {
		c.Keystore = &Keystore{}
		switch {
		case k.Password != nil && k.PasswordSecret != nil:
			diags = append(diags, attrError(c, "keystore.password", "Conflicting keystore passwords",
				"Set keystore.password or a password_secret block, not both."))
		case k.Password != nil:
			c.Keystore.Password = &Password{*k.Password}
			diags = append(diags, c.checkPassword(*k.Password)...)
		case k.PasswordSecret != nil:
			ref := SecretKeyRef(*k.PasswordSecret)
			c.Keystore.PasswordSecret = &ref
			if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 || validation.IsDNS1123Label(ref.Namespace) != nil || ref.Key == "" {
				diags = append(diags, attrError(c, "keystore.password_secret.name", "Invalid password Secret",
					fmt.Sprintf("%s does not name a Secret key: give a namespace, a Secret name and a data key.", ref)))
			}
		default:
			diags = append(diags, attrError(c, "keystore", "Missing keystore password",
				`The keystore block needs password = var.NAME (a sensitive variable) or password_secret { namespace name key }.`))
		}
	}
	if o := raw.OnChange; o != nil {
		diags = append(diags, c.fillOnChange(o)...)
	}
	diags = append(diags, c.checkKeystorePasswords()...)
	return diags
}

// minJKSPassword is the shortest password keytool accepts for a keystore.
const minJKSPassword = 6

func (c *Certificate) checkPassword(p string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if !c.Sensitive["keystore.password"] {
		diags = append(diags, attrError(c, "keystore.password", "Keystore password not sensitive",
			"keystore.password must come from a variable declared sensitive = true (or use a password_secret block), so that no plan or log shows it."))
	}
	if p == "" {
		diags = append(diags, attrError(c, "keystore.password", "Empty keystore password",
			"certform writes no keystore without a password; set a non-empty one."))
	} else if len(p) < minJKSPassword && c.wantsFormat(formats.JKS) {
		diags = append(diags, attrError(c, "keystore.password", "Keystore password too short",
			fmt.Sprintf("Java's keytool refuses a JKS password shorter than %d characters; use a longer one.", minJKSPassword)))
	}
	return diags
}

// wantsFormat reports whether c writes format to a file or its Secret.
func (c *Certificate) wantsFormat(format string) bool {
	if c.Secret != nil && slices.Contains(c.Secret.Formats, format) {
		return true
	}
	for _, f := range c.Output.Extra {
		if f.Kind.Keystore() && strings.HasPrefix(string(f.Kind), format) {
			return true
		}
	}
	return false
}

// checkKeystorePasswords reports keystores asked for without a keystore
// block: certform never writes a keystore without a password.
func (c *Certificate) checkKeystorePasswords() hcl.Diagnostics {
	if c.Keystore != nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, f := range c.Output.Extra {
		if f.Kind.Keystore() {
			diags = append(diags, attrError(c, "output."+string(f.Kind)+"_file", "Keystore without a password",
				fmt.Sprintf("output.%s_file is a password-protected keystore; add a keystore block with password = var.NAME (a sensitive variable) or password_secret { namespace name key }.", f.Kind)))
		}
	}
	if c.Secret != nil {
		for _, f := range c.Secret.Formats {
			if formats.NeedsPassword(f) {
				diags = append(diags, attrError(c, "secret.formats", "Keystore without a password",
					fmt.Sprintf("secret.formats asks for %s, a password-protected keystore; add a keystore block with password = var.NAME (a sensitive variable) or password_secret { namespace name key }.", f)))
			}
		}
	}
	return diags
}
