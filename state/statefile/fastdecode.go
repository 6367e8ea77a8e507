package statefile

import (
	"encoding/json"
	"strconv"
	"time"
)

// decodeFast reads data into the wire types as Decode's encoding/json
// pass does (unknown fields refused), for the form certform writes, without
// that pass's copy of the whole file into a buffer of its own and its
// reflection: reading a state of 10,000 certificates that way was a fifth
// of a plan's CPU and its largest allocation. It gives up (ok false) on
// anything encoding/json might read otherwise or refuse: a key not spelled
// exactly as a field (encoding/json folds case), a key twice, a null where
// encoding/json would store a zero element, a number that is not a plain
// integer, a \u escape of a surrogate, invalid UTF-8, a value of another
// type, data after the object, any syntax error. Decode then reads data
// with encoding/json, which says what is wrong. A null field is left zero,
// as encoding/json leaves it.
func decodeFast(data []byte) (fileV2, bool) {
	r := &reader{data: data, ok: true, intern: map[string]string{}}
	var f fileV2
	r.fields(fileFields, func(i int) {
		switch i {
		case 0:
			f.Version = int(r.int(strconv.IntSize))
		case 1:
			f.Lineage = r.str()
		case 2:
			f.Serial = r.uint64()
		case 3:
			f.CertformVersion = r.str()
		case 4:
			f.Certificates = map[string]certificateV1{}
			r.object(func(key []byte) {
				addr := string(key)
				if _, dup := f.Certificates[addr]; dup {
					r.fail()
				}
				f.Certificates[addr] = r.certificate()
			})
		case 5:
			f.Bundles = map[string]bundleV1{}
			r.object(func(key []byte) {
				addr := string(key)
				if _, dup := f.Bundles[addr]; dup {
					r.fail()
				}
				f.Bundles[addr] = r.bundle()
			})
		case 6:
			f.Outputs = map[string]outputV2{}
			r.object(func(key []byte) {
				name := string(key)
				if _, dup := f.Outputs[name]; dup {
					r.fail()
				}
				f.Outputs[name] = r.output()
			})
		}
	})
	if r.ws(); r.i != len(data) {
		r.fail()
	}
	return f, r.ok
}

var (
	fileFields        = []string{"version", "lineage", "serial", "certform_version", "certificates", "ca_bundles", "outputs"}
	certificateFields = []string{"request", "key_sha256", "csr_name", "csr_uid", "status", "serial_number", "not_before", "not_after",
		"files", "secret", "files_written_on", "pending_actions", "cluster"}
	requestFields = []string{"common_name", "organization", "organizational_unit", "country", "province", "locality", "hosts",
		"key_algorithm", "key_size", "key_encoding", "signer_name", "usages", "expiration_seconds"}
	fileRecordFields = []string{"role", "sha256", "mode", "source_sha256"}
	secretFields     = []string{"namespace", "name", "sha256", "keys", "ca_sha256", "labels", "annotations"}
	originFields     = []string{"host", "dir"}
	clusterFields    = []string{"name", "uid", "server"}
	bundleFields     = []string{"targets", "cluster"}
	targetFields     = []string{"kind", "namespace", "name", "key", "fingerprints"}
	outputFields     = []string{"value", "type", "sensitive"}
)

// fields reads an object of a struct type whose JSON names are names,
// calling field with the index of each name present and not null. It
// fails on any other key and on a key given twice.
func (r *reader) fields(names []string, field func(int)) {
	var seen uint32
	r.object(func(key []byte) {
		i := 0
		for i < len(names) && names[i] != string(key) {
			i++
		}
		if i == len(names) || seen&(1<<i) != 0 {
			r.fail()
			return
		}
		seen |= 1 << i
		if !r.literal("null") {
			field(i)
		}
	})
}

func (r *reader) certificate() certificateV1 {
	var c certificateV1
	r.fields(certificateFields, func(i int) {
		switch i {
		case 0:
			c.Request = r.request()
		case 1:
			c.KeySHA256 = r.str()
		case 2:
			c.CSRName = r.str()
		case 3:
			c.CSRUID = r.str()
		case 4:
			c.Status = r.common()
		case 5:
			c.SerialNumber = r.str()
		case 6:
			c.NotBefore = r.time()
		case 7:
			c.NotAfter = r.time()
		case 8:
			c.Files = map[string]fileRecordV1{}
			r.object(func(key []byte) {
				path := string(key)
				if _, dup := c.Files[path]; dup {
					r.fail()
				}
				c.Files[path] = r.fileRecord()
			})
		case 9:
			c.Secret = r.secret()
		case 10:
			c.FilesOrigin = &originV1{}
			r.fields(originFields, func(i int) {
				if i == 0 {
					c.FilesOrigin.Host = r.common()
				} else {
					c.FilesOrigin.Dir = r.common()
				}
			})
		case 11:
			c.PendingActions = r.strings(true)
		case 12:
			c.Cluster = r.cluster()
		}
	})
	return c
}

func (r *reader) request() requestV1 {
	var q requestV1
	r.fields(requestFields, func(i int) {
		switch i {
		case 0:
			q.CommonName = r.str()
		case 1:
			q.Organization = r.strings(true)
		case 2:
			q.OrganizationalUnit = r.strings(true)
		case 3:
			q.Country = r.strings(true)
		case 4:
			q.Province = r.strings(true)
		case 5:
			q.Locality = r.strings(true)
		case 6:
			q.Hosts = r.strings(false)
		case 7:
			q.KeyAlgorithm = r.common()
		case 8:
			q.KeySize = int(r.int(strconv.IntSize))
		case 9:
			q.KeyEncoding = r.common()
		case 10:
			q.SignerName = r.common()
		case 11:
			q.Usages = r.strings(true)
		case 12:
			q.ExpirationSeconds = int32(r.int(32))
		}
	})
	return q
}

func (r *reader) fileRecord() fileRecordV1 {
	var f fileRecordV1
	r.fields(fileRecordFields, func(i int) {
		switch i {
		case 0:
			f.Role = r.common()
		case 1:
			f.SHA256 = r.str()
		case 2:
			f.Mode = r.common()
		case 3:
			f.SourceSHA256 = r.str()
		}
	})
	return f
}

func (r *reader) secret() *secretV1 {
	s := &secretV1{}
	r.fields(secretFields, func(i int) {
		switch i {
		case 0:
			s.Namespace = r.common()
		case 1:
			s.Name = r.str()
		case 2:
			s.SHA256 = r.str()
		case 3:
			s.Keys = r.strings(true)
		case 4:
			s.CASHA256 = r.str()
		case 5:
			s.Labels = r.stringMap()
		case 6:
			s.Annotations = r.stringMap()
		}
	})
	return s
}

func (r *reader) cluster() *clusterV4 {
	c := &clusterV4{}
	r.fields(clusterFields, func(i int) {
		switch i {
		case 0:
			c.Name = r.common()
		case 1:
			c.UID = r.common()
		case 2:
			c.Server = r.common()
		}
	})
	return c
}

func (r *reader) bundle() bundleV1 {
	var b bundleV1
	r.fields(bundleFields, func(i int) {
		if i == 1 {
			b.Cluster = r.cluster()
			return
		}
		b.Targets = map[string]bundleTargetV1{}
		r.object(func(key []byte) {
			k := string(key)
			if _, dup := b.Targets[k]; dup {
				r.fail()
			}
			var t bundleTargetV1
			r.fields(targetFields, func(i int) {
				switch i {
				case 0:
					t.Kind = r.common()
				case 1:
					t.Namespace = r.common()
				case 2:
					t.Name = r.str()
				case 3:
					t.Key = r.common()
				case 4:
					t.Fingerprints = r.strings(false)
				}
			})
			b.Targets[k] = t
		})
	})
	return b
}

// output reads an output, whose value and type are kept as written (a
// null included), as json.RawMessage keeps them.
func (r *reader) output() outputV2 {
	var o outputV2
	var seen uint32
	r.object(func(key []byte) {
		i := 0
		for i < len(outputFields) && outputFields[i] != string(key) {
			i++
		}
		if i == len(outputFields) || seen&(1<<i) != 0 {
			r.fail()
			return
		}
		seen |= 1 << i
		switch i {
		case 0:
			o.Value = json.RawMessage(append([]byte(nil), r.value(0)...))
		case 1:
			o.Type = json.RawMessage(append([]byte(nil), r.value(0)...))
		case 2:
			if r.literal("null") {
				return
			}
			if o.Sensitive = r.literal("true"); !o.Sensitive && !r.literal("false") {
				r.fail()
			}
		}
	})
	return o
}

// stringMap reads an object of strings.
func (r *reader) stringMap() map[string]string {
	m := map[string]string{}
	r.object(func(key []byte) {
		k := string(key)
		if _, dup := m[k]; dup {
			r.fail()
		}
		m[k] = r.str()
	})
	return m
}

// int reads an integer that fits in bits.
func (r *reader) int(bits int) int64 {
	n, err := strconv.ParseInt(string(r.integer()), 10, bits)
	if err != nil {
		r.fail()
	}
	return n
}

func (r *reader) uint64() uint64 {
	n, err := strconv.ParseUint(string(r.integer()), 10, 64)
	if err != nil {
		r.fail()
	}
	return n
}

// time reads a time as encoding/json does: by time.Time's UnmarshalJSON of
// the string as written.
func (r *reader) time() *time.Time {
	r.ws()
	start := r.i
	r.scan()
	t := new(time.Time)
	if !r.ok || t.UnmarshalJSON(r.data[start:r.i]) != nil {
		r.fail()
	}
	return t
}
