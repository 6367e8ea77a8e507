package statefile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"time"

	"github.com/certform/certform/state"
)

// FormatVersion is the newest version of the wire format. Encode writes
// version 2 (which adds outputs) only for a state that holds outputs, and
// version 1 otherwise, so a state without outputs stays readable by a
// certform from before outputs; Decode reads both.
//
// Version 4 adds each record's cluster (fleets); Encode writes it only for
// a state that records one, so a state of one cluster whose identity could
// not be read stays readable by a certform from before fleets.
const FormatVersion = 4

// formatV3 is the version without clusters.
const formatV3 = 3

// formatV2 is the version without the records of delivery (file source
// digests, Secret keys and templates, pending actions); Encode writes
// version 3 only for a state that holds them.
const formatV2 = 2

// formatV1 is the version without outputs.
const formatV1 = 1

// Version is the certform version written into state files and saved
// plans; cmd sets it.
var Version = "dev"

// ErrUnsupportedVersion is wrapped by Decode for a state file written by a
// newer or unknown certform.
var ErrUnsupportedVersion = errors.New("unsupported state version")

type fileV1 struct {
	Version         int                      `json:"version"`
	Lineage         string                   `json:"lineage"`
	Serial          uint64                   `json:"serial"`
	CertformVersion string                   `json:"certform_version"`
	Certificates    map[string]certificateV1 `json:"certificates"`
	Bundles         map[string]bundleV1      `json:"ca_bundles,omitempty"`
}

// fileV2 is fileV1 with the root module's output values.
type fileV2 struct {
	fileV1
	Outputs map[string]outputV2 `json:"outputs"`
}

type outputV2 struct {
	Value     json.RawMessage `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

type bundleV1 struct {
	Targets map[string]bundleTargetV1 `json:"targets"`
	Cluster *clusterV4                `json:"cluster,omitempty"` // version 4
}

// clusterV4 is the identity of a record's cluster (state.Cluster); Name
// is omitted for the default cluster.
type clusterV4 struct {
	Name   string `json:"name,omitempty"`
	UID    string `json:"uid,omitempty"`
	Server string `json:"server,omitempty"`
}

func encodeCluster(c state.Cluster) *clusterV4 {
	if c == (state.Cluster{}) || c == (state.Cluster{Name: state.DefaultCluster}) {
		return nil
	}
	w := &clusterV4{Name: c.Name, UID: c.UID, Server: c.Server}
	if w.Name == state.DefaultCluster {
		w.Name = ""
	}
	return w
}

func decodeCluster(w *clusterV4) state.Cluster {
	c := state.Cluster{Name: state.DefaultCluster}
	if w != nil {
		c.UID, c.Server = w.UID, w.Server
		if w.Name != "" {
			c.Name = w.Name
		}
	}
	return c
}

// clustered reports whether s records a cluster only version 4 holds.
func clustered(s *state.State) bool {
	for _, c := range s.Certificates {
		if encodeCluster(c.Cluster) != nil {
			return true
		}
	}
	for _, b := range s.Bundles {
		if encodeCluster(b.Cluster) != nil {
			return true
		}
	}
	return false
}

type bundleTargetV1 struct {
	Kind         string   `json:"kind"`
	Namespace    string   `json:"namespace"`
	Name         string   `json:"name"`
	Key          string   `json:"key"`
	Fingerprints []string `json:"fingerprints"`
}

// requestV1 is the request a certificate was issued for.
type requestV1 struct {
	CommonName         string   `json:"common_name"`
	Organization       []string `json:"organization,omitempty"`
	OrganizationalUnit []string `json:"organizational_unit,omitempty"`
	Country            []string `json:"country,omitempty"`
	Province           []string `json:"province,omitempty"`
	Locality           []string `json:"locality,omitempty"`
	Hosts              []string `json:"hosts,omitempty"`
	KeyAlgorithm       string   `json:"key_algorithm"`
	KeySize            int      `json:"key_size,omitempty"`
	KeyEncoding        string   `json:"key_encoding"`
	SignerName         string   `json:"signer_name"`
	Usages             []string `json:"usages"`
	ExpirationSeconds  int32    `json:"expiration_seconds,omitempty"`
}

type certificateV1 struct {
	Request      requestV1               `json:"request"`
	KeySHA256    string                  `json:"key_sha256"`
	CSRName      string                  `json:"csr_name,omitempty"`
	CSRUID       string                  `json:"csr_uid,omitempty"`
	Status       string                  `json:"status"`
	SerialNumber string                  `json:"serial_number,omitempty"`
	NotBefore    *time.Time              `json:"not_before,omitempty"`
	NotAfter     *time.Time              `json:"not_after,omitempty"`
	Files        map[string]fileRecordV1 `json:"files,omitempty"`
	Secret       *secretV1               `json:"secret,omitempty"`
	FilesOrigin  *originV1               `json:"files_written_on,omitempty"`
	// PendingActions (version 3): after-change actions to retry.
	PendingActions []string `json:"pending_actions,omitempty"`
	// Cluster (version 4): the cluster the certificate lives in.
	Cluster *clusterV4 `json:"cluster,omitempty"`
}

// originV1 is where the files were last written (never what they hold).
type originV1 struct {
	Host string `json:"host"`
	Dir  string `json:"dir,omitempty"`
}

type secretV1 struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	// Version 3: the extra data keys, the CA digest and the template.
	Keys        []string          `json:"keys,omitempty"`
	CASHA256    string            `json:"ca_sha256,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type fileRecordV1 struct {
	Role   string `json:"role"`
	SHA256 string `json:"sha256"`
	Mode   string `json:"mode"` // octal, e.g. "0600"
	// SourceSHA256 (version 3): a truststore's CA bundle digest.
	SourceSHA256 string `json:"source_sha256,omitempty"`
}

// Encode returns s in the current wire format: indented JSON with sorted
// keys, so that equal states encode to equal bytes.
func Encode(s *state.State) ([]byte, error) {
	f := fileV1{
		Version: formatV1, Lineage: s.Lineage, Serial: s.Serial,
		CertformVersion: Version, Certificates: map[string]certificateV1{},
	}
	for addr, c := range s.Certificates {
		f.Certificates[addr] = encodeCertificate(c)
	}
	for addr, b := range s.Bundles {
		if f.Bundles == nil {
			f.Bundles = map[string]bundleV1{}
		}
		w := bundleV1{Targets: map[string]bundleTargetV1{}, Cluster: encodeCluster(b.Cluster)}
		for k, t := range b.Targets {
			w.Targets[k] = bundleTargetV1{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Fingerprints: t.Fingerprints}
		}
		f.Bundles[addr] = w
	}
	if delivers(s) {
		f.Version = formatV3
	}
	if clustered(s) {
		f.Version = FormatVersion
	}
	var wire any = f
	if len(s.Outputs) > 0 {
		f.Version = max(f.Version, formatV2)
		v2 := fileV2{fileV1: f, Outputs: map[string]outputV2{}}
		for name, o := range s.Outputs {
			v2.Outputs[name] = outputV2{Value: o.Value, Type: o.Type, Sensitive: o.Sensitive}
		}
		wire = v2
	}
	out, err := json.MarshalIndent(wire, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Decode parses a state file. It refuses versions it does not know rather
// than guess, and says so before any other complaint about the content.
func Decode(data []byte) (*state.State, error) {
	// One pass for a file of a known version; the version is sniffed on
	// its own only when that pass fails, so that an unknown version is
	// still what the error says first. (Sniffing first was a full extra
	// parse: a third of reading a state of 10,000 certificates.)
	v2, err := decodeWire(data)
	switch {
	case err != nil:
	case v2.Version == formatV1 && v2.Outputs != nil:
		err = errors.New(`json: unknown field "outputs"`) // version 1 has no outputs
	case v2.Version < formatV1 || v2.Version > FormatVersion:
		err = fmt.Errorf("version %d", v2.Version)
	}
	if err != nil {
		if verr := sniffVersion(data); verr != nil {
			return nil, verr
		}
		return nil, fmt.Errorf("state is malformed: %w", err)
	}
	f := v2.fileV1
	if f.Lineage == "" {
		return nil, errors.New("state is malformed: empty lineage")
	}
	s := &state.State{Lineage: f.Lineage, Serial: f.Serial, Certificates: map[string]*state.Certificate{}, Bundles: map[string]*state.Bundle{}}
	for addr, w := range f.Bundles {
		b := &state.Bundle{Addr: addr, Cluster: decodeCluster(w.Cluster), Targets: map[string]state.BundleTarget{}}
		for k, t := range w.Targets {
			b.Targets[k] = state.BundleTarget{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Fingerprints: t.Fingerprints}
		}
		s.Bundles[addr] = b
	}
	for name, o := range v2.Outputs {
		if s.Outputs == nil {
			s.Outputs = map[string]state.Output{}
		}
		if len(o.Value) == 0 || len(o.Type) == 0 {
			return nil, fmt.Errorf("state is malformed: output %q has no value or type", name)
		}
		s.Outputs[name] = state.Output{Value: o.Value, Type: o.Type, Sensitive: o.Sensitive}
	}
	for addr, w := range f.Certificates {
		c, err := decodeCertificate(addr, w)
		if err != nil {
			return nil, fmt.Errorf("state is malformed: %w", err)
		}
		s.Certificates[addr] = c
	}
	if v2.Version < formatV3 && delivers(s) {
		return nil, fmt.Errorf("state is malformed: version %d holds fields of version %d", v2.Version, formatV3)
	}
	if v2.Version < FormatVersion && clustered(s) {
		return nil, fmt.Errorf("state is malformed: version %d holds fields of version %d (cluster)", v2.Version, FormatVersion)
	}
	return s, nil
}

// decodeWire reads data into the wire types, refusing unknown fields: by
// decodeFast when it can, and otherwise, to the same values or an error
// saying what is wrong, by encoding/json.
func decodeWire(data []byte) (fileV2, error) {
	if v2, ok := decodeFast(data); ok {
		return v2, nil
	}
	return decodeJSON(data)
}

// decodeJSON is decodeWire by encoding/json alone.
func decodeJSON(data []byte) (fileV2, error) {
	var v2 fileV2
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v2); err != nil {
		return v2, err
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return v2, errors.New("data after the state's JSON object")
	}
	return v2, nil
}

// CertificateRecord is one certificate's record as the wire format holds
// it; the local backend's journal appends these.
type CertificateRecord = certificateV1

// EncodeCertificate is c's wire record (its address is the key it is
// filed under, not part of it).
func EncodeCertificate(c *state.Certificate) CertificateRecord { return encodeCertificate(c) }

// DecodeCertificate checks and converts the wire record of addr.
func DecodeCertificate(addr string, w CertificateRecord) (*state.Certificate, error) {
	return decodeCertificate(addr, w)
}

// sniffVersion reports data that is not JSON, or not a state file of a
// version this certform reads.
func sniffVersion(data []byte) error {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("state is not valid JSON: %w", err)
	}
	if head.Version == nil {
		return errors.New("state has no version field; it is not a certform state file")
	}
	if *head.Version < formatV1 || *head.Version > FormatVersion {
		return fmt.Errorf("%w %d: this certform reads versions %d to %d; upgrade certform", ErrUnsupportedVersion, *head.Version, formatV1, FormatVersion)
	}
	return nil
}

func encodeCertificate(c *state.Certificate) certificateV1 {
	w := certificateV1{
		Request: encodeRequest(c.Request), KeySHA256: c.KeySHA256, CSRName: c.CSRName, CSRUID: c.CSRUID,
		Status: c.Status, SerialNumber: c.SerialNumber, NotBefore: timePtr(c.NotBefore), NotAfter: timePtr(c.NotAfter),
	}
	if c.Secret != nil {
		w.Secret = &secretV1{Namespace: c.Secret.Namespace, Name: c.Secret.Name, SHA256: c.Secret.SHA256,
			Keys: c.Secret.Keys, CASHA256: c.Secret.CASHA256, Labels: c.Secret.Labels, Annotations: c.Secret.Annotations}
	}
	w.PendingActions = c.PendingActions
	w.Cluster = encodeCluster(c.Cluster)
	if !c.FilesOrigin.IsZero() {
		w.FilesOrigin = &originV1{Host: c.FilesOrigin.Host, Dir: c.FilesOrigin.Dir}
	}
	if len(c.Files) > 0 {
		w.Files = map[string]fileRecordV1{}
		for p, fr := range c.Files {
			w.Files[p] = fileRecordV1{Role: fr.Role, SHA256: fr.SHA256, Mode: fmt.Sprintf("%04o", uint32(fr.Mode.Perm())), SourceSHA256: fr.SourceSHA256}
		}
	}
	return w
}

func decodeCertificate(addr string, w certificateV1) (*state.Certificate, error) {
	c := &state.Certificate{
		Addr: addr, Request: decodeRequest(w.Request), KeySHA256: w.KeySHA256, CSRName: w.CSRName, CSRUID: w.CSRUID,
		Status: w.Status, SerialNumber: w.SerialNumber, NotBefore: timeVal(w.NotBefore), NotAfter: timeVal(w.NotAfter),
		Cluster: decodeCluster(w.Cluster),
	}
	switch c.Status {
	case state.StatusPending, state.StatusIssued, state.StatusTainted, state.StatusSubmitting:
	default:
		return nil, fmt.Errorf("%s has unknown status %q", addr, c.Status)
	}
	if w.Secret != nil {
		c.Secret = &state.SecretRecord{Namespace: w.Secret.Namespace, Name: w.Secret.Name, SHA256: w.Secret.SHA256,
			Keys: w.Secret.Keys, CASHA256: w.Secret.CASHA256, Labels: w.Secret.Labels, Annotations: w.Secret.Annotations}
	}
	c.PendingActions = w.PendingActions
	if w.FilesOrigin != nil {
		c.FilesOrigin = state.Origin{Host: w.FilesOrigin.Host, Dir: w.FilesOrigin.Dir}
	}
	for p, fr := range w.Files {
		mode, err := strconv.ParseUint(fr.Mode, 8, 32)
		if err != nil || mode > 0o777 {
			return nil, fmt.Errorf("%s: file %s has mode %q", addr, p, fr.Mode)
		}
		if !slices.Contains(state.Roles, fr.Role) {
			return nil, fmt.Errorf("%s: file %s has unknown role %q", addr, p, fr.Role)
		}
		if c.Files == nil {
			c.Files = map[string]state.File{}
		}
		c.Files[p] = state.File{Role: fr.Role, SHA256: fr.SHA256, Mode: fs.FileMode(mode), SourceSHA256: fr.SourceSHA256}
	}
	return c, nil
}

func encodeRequest(r state.Request) requestV1 {
	return requestV1{CommonName: r.CommonName, Organization: r.Organization, OrganizationalUnit: r.OrganizationalUnit,
		Country: r.Country, Province: r.Province, Locality: r.Locality, Hosts: r.Hosts, KeyAlgorithm: r.KeyAlgorithm,
		KeySize: r.KeySize, KeyEncoding: r.KeyEncoding, SignerName: r.SignerName, Usages: r.Usages, ExpirationSeconds: r.ExpirationSeconds}
}

func decodeRequest(r requestV1) state.Request {
	return state.Request{CommonName: r.CommonName, Organization: r.Organization, OrganizationalUnit: r.OrganizationalUnit,
		Country: r.Country, Province: r.Province, Locality: r.Locality, Hosts: r.Hosts, KeyAlgorithm: r.KeyAlgorithm,
		KeySize: r.KeySize, KeyEncoding: r.KeyEncoding, SignerName: r.SignerName, Usages: r.Usages, ExpirationSeconds: r.ExpirationSeconds}
}

// delivers reports whether s records anything only version 3 holds.
func delivers(s *state.State) bool {
	for _, c := range s.Certificates {
		if len(c.PendingActions) > 0 {
			return true
		}
		if sec := c.Secret; sec != nil && (len(sec.Keys) > 0 || sec.CASHA256 != "" || len(sec.Labels) > 0 || len(sec.Annotations) > 0) {
			return true
		}
		for _, f := range c.Files {
			if f.SourceSHA256 != "" || !slices.Contains(state.Roles[:5], f.Role) {
				return true
			}
		}
	}
	return false
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Content is s's encoding with the serial zeroed: equal content, equal
// bytes, so a backend tells real changes from a rewrite.
func Content(s *state.State) ([]byte, error) {
	c := *s
	c.Serial = 0
	return Encode(&c)
}

// ContentDigest is a SHA-256 of s's content, serial aside: two reads of
// the same state give the same digest, and a state that moved on (a
// journal replayed mid-apply included) gives another.
func ContentDigest(s *state.State) (string, error) {
	data, err := Content(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
