package formats

import "encoding/binary"

// jksBounded reports whether every length in a JKS keystore fits in the
// data that follows it. The decoder allocates each length it reads before
// reading, so a crafted keystore (a file or Secret someone else edited)
// could make it allocate gigabytes; one that fails this check is refused
// before it reaches the decoder.
func jksBounded(data []byte) bool {
	r := jksReader{data: data, ok: true}
	magic, version, count := r.u32(), r.u32(), r.u32()
	if !r.ok || magic != 0xFEEDFEED || version != 1 && version != 2 || uint64(count)*14 > uint64(r.left()) {
		return false
	}
	cert := func() {
		if version == 2 {
			r.skip(uint32(r.u16())) // the certificate type
		}
		r.skip(r.u32())
	}
	for range count {
		tag := r.u32()
		r.skip(uint32(r.u16())) // alias
		r.skip(8)               // creation time
		switch tag {
		case 1: // private key: encrypted key, then the chain
			r.skip(r.u32())
			n := r.u32()
			if uint64(n)*4 > uint64(r.left()) {
				return false
			}
			for range n {
				cert()
			}
		case 2: // trusted certificate
			cert()
		default:
			return false
		}
		if !r.ok {
			return false
		}
	}
	return r.ok && r.left() >= 20 // the SHA-1 integrity digest
}

type jksReader struct {
	data []byte
	ok   bool
}

func (r *jksReader) left() int { return len(r.data) }

func (r *jksReader) skip(n uint32) {
	if !r.ok || uint64(n) > uint64(len(r.data)) {
		r.ok, r.data = false, nil
		return
	}
	r.data = r.data[n:]
}

func (r *jksReader) u16() uint16 {
	if len(r.data) < 2 {
		r.ok, r.data = false, nil
		return 0
	}
	v := binary.BigEndian.Uint16(r.data)
	r.data = r.data[2:]
	return v
}

func (r *jksReader) u32() uint32 {
	if len(r.data) < 4 {
		r.ok, r.data = false, nil
		return 0
	}
	v := binary.BigEndian.Uint32(r.data)
	r.data = r.data[4:]
	return v
}
