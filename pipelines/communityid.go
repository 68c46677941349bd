package pipelines

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// buildCommunityID compiles community_id: the Community ID (version 1) of
// the flow an event describes, from its source and destination addresses
// and ports and its transport protocol (by name in transport, or by
// number in iana_number), or ICMP type and code. The fields default to the
// ECS ones, as in Elasticsearch; so does ignore_missing (true).
func buildCommunityID(o *opts, _ bool) doFunc {
	f := communityFields{
		srcIP:    newPath(o.str("source_ip", "source.ip")),
		srcPort:  newPath(o.str("source_port", "source.port")),
		dstIP:    newPath(o.str("destination_ip", "destination.ip")),
		dstPort:  newPath(o.str("destination_port", "destination.port")),
		iana:     newPath(o.str("iana_number", "network.iana_number")),
		icmpType: newPath(o.str("icmp_type", "icmp.type")),
		icmpCode: newPath(o.str("icmp_code", "icmp.code")),
		proto:    newPath(o.str("transport", "network.transport")),
	}
	target := newPath(o.str("target_field", "network.community_id"))
	seed := 0
	if n := o.node("seed"); n != nil {
		if err := n.Decode(&seed); err != nil || n.ShortTag() != "!!int" || seed < 0 || seed > 65535 {
			o.errorf(n, "seed: want a whole number from 0 to 65535, not %q", n.Value)
		}
	}
	// The step reads ignore_missing for every processor with false as its
	// default; community_id's default is true.
	ignoreMissing := o.boolean("ignore_missing", true)
	return func(ev Event, _ *state) error {
		flow, ok, err := f.read(ev, ignoreMissing)
		if !ok {
			return err
		}
		return target.set(ev, flow.id(uint16(seed)))
	}
}

type communityFields struct {
	srcIP, srcPort, dstIP, dstPort, iana, icmpType, icmpCode, proto path
}

// flow is what the Community ID hashes.
type flow struct {
	src, dst         netip.Addr
	proto            uint8
	srcPort, dstPort uint16
	ports            bool // the protocol has ports (or ICMP type and code)
	oneWay           bool // an ICMP message without a counterpart
}

// Transport protocols by name, with their IANA numbers.
var transports = map[string]uint8{
	"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "ipv6-icmp": 58, "icmpv6": 58, "icmp ipv6": 58,
	"eigrp": 88, "ospf": 89, "pim": 103, "sctp": 132,
}

func (f communityFields) read(ev Event, ignoreMissing bool) (flow, bool, error) {
	var fl flow
	var err error
	var ok bool
	if fl.src, ok, err = f.addr(ev, f.srcIP, ignoreMissing); !ok {
		return fl, false, err
	}
	if fl.dst, ok, err = f.addr(ev, f.dstIP, ignoreMissing); !ok {
		return fl, false, err
	}
	if fl.proto, ok, err = f.protocol(ev, ignoreMissing); !ok {
		return fl, false, err
	}
	switch fl.proto {
	case 6, 17, 132:
		fl.ports = true
		if fl.srcPort, ok, err = f.number(ev, f.srcPort, "port", 0, ignoreMissing); !ok {
			return fl, false, err
		}
		if fl.dstPort, ok, err = f.number(ev, f.dstPort, "port", 0, ignoreMissing); !ok {
			return fl, false, err
		}
	case 1, 58:
		fl.ports = true
		typ, ok, err := f.number(ev, f.icmpType, "ICMP type", 0, ignoreMissing)
		if !ok {
			return fl, false, err
		}
		code, ok, err := f.number(ev, f.icmpCode, "ICMP code", 0, ignoreMissing)
		if !ok {
			return fl, false, err
		}
		fl.srcPort = typ
		if peer, two := icmpCounterpart(fl.proto, typ); two {
			fl.dstPort = peer
		} else {
			fl.dstPort, fl.oneWay = code, true
		}
	}
	return fl, true, nil
}

func (f communityFields) addr(ev Event, p path, ignoreMissing bool) (netip.Addr, bool, error) {
	s, ok, err := sourceString(ev, p, ignoreMissing)
	if !ok {
		return netip.Addr{}, false, err
	}
	a, perr := netip.ParseAddr(s)
	if perr != nil {
		return netip.Addr{}, false, fmt.Errorf("field [%s]: [%s] is not an IP address", p, s)
	}
	return a.Unmap(), true, nil
}

// protocol reads the IANA number, or when it is absent the transport,
// by name or number, as Elasticsearch does.
func (f communityFields) protocol(ev Event, ignoreMissing bool) (uint8, bool, error) {
	p := f.iana
	if v, ok := p.get(ev); !ok || v == nil {
		p = f.proto
	}
	v, ok, err := source(ev, p, ignoreMissing)
	if !ok {
		return 0, false, err
	}
	if s, isStr := v.(string); isStr {
		if n, known := transports[strings.ToLower(s)]; known {
			return n, true, nil
		}
	}
	n, ok, err := f.number(ev, p, "transport protocol", 0, false)
	if !ok {
		return 0, false, err
	}
	if n > 255 {
		return 0, false, fmt.Errorf("field [%s]: [%d] is not a transport protocol number", p, n)
	}
	return uint8(n), true, nil
}

// number reads a port, ICMP type or code or IANA number, written as a
// number or a string of digits.
func (f communityFields) number(ev Event, p path, what string, min int64, ignoreMissing bool) (uint16, bool, error) {
	v, ok, err := source(ev, p, ignoreMissing)
	if !ok {
		return 0, false, err
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case json.Number:
		if n, err = strconv.ParseInt(string(x), 10, 64); err != nil {
			return 0, false, fmt.Errorf("field [%s]: [%s] is not a valid %s", p, x, what)
		}
	case string:
		if n, err = strconv.ParseInt(x, 10, 64); err != nil {
			return 0, false, fmt.Errorf("field [%s]: [%s] is not a valid %s", p, x, what)
		}
	default:
		return 0, false, fmt.Errorf("field [%s]: a %s is not a valid %s", p, typeName(v), what)
	}
	if n < min || n > 65535 {
		return 0, false, fmt.Errorf("field [%s]: [%d] is not a valid %s", p, n, what)
	}
	return uint16(n), true, nil
}

// icmpCounterpart returns the type of the reply to (or request of) an ICMP
// or ICMPv6 message type, for the messages that come in pairs.
func icmpCounterpart(proto uint8, typ uint16) (uint16, bool) {
	pairs := map[uint16]uint16{8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
	if proto == 58 {
		pairs = map[uint16]uint16{128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133,
			135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144}
	}
	peer, ok := pairs[typ]
	return peer, ok
}

// id is the flow's Community ID: "1:" and the base64 SHA-1 of the seed,
// the addresses, the protocol, a zero byte and the ports, the lower
// endpoint first (unless the flow is one-way).
func (fl flow) id(seed uint16) string {
	src, dst, sp, dp := fl.src, fl.dst, fl.srcPort, fl.dstPort
	if !fl.oneWay {
		if c := src.Compare(dst); c > 0 || (c == 0 && sp > dp) {
			src, dst, sp, dp = dst, src, dp, sp
		}
	}
	b := binary.BigEndian.AppendUint16(nil, seed)
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	b = append(b, fl.proto, 0)
	if fl.ports {
		b = binary.BigEndian.AppendUint16(b, sp)
		b = binary.BigEndian.AppendUint16(b, dp)
	}
	sum := sha1.Sum(b)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}
