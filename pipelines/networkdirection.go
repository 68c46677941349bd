package pipelines

import (
	"fmt"
	"net/netip"
	"strings"
)

// buildNetworkDirection compiles network_direction: whether a flow is
// inbound, outbound, internal or external, from whether its source and
// destination addresses are in internal_networks (CIDRs, addresses or
// the named ranges loopback, unicast, global_unicast, multicast,
// interface_local_multicast, link_local_unicast, link_local_multicast,
// private, public, unspecified), given in the definition or read from the
// event's internal_networks_field. ECS fields by default; ignore_missing
// defaults to true, as in Elasticsearch.
func buildNetworkDirection(o *opts, _ bool) doFunc {
	src := newPath(o.str("source_ip", "source.ip"))
	dst := newPath(o.str("destination_ip", "destination.ip"))
	target := newPath(o.str("target_field", "network.direction"))
	nets := o.strs("internal_networks")
	netsField := o.str("internal_networks_field", "")
	ignoreMissing := o.boolean("ignore_missing", true)
	if (len(nets) == 0) == (netsField == "") {
		o.errorf(nil, "want exactly one of internal_networks and internal_networks_field")
		return nil
	}
	var fixed []ipMatcher
	for _, n := range nets {
		m, err := parseIPMatcher(n)
		if err != nil {
			o.errorf(o.keys["internal_networks"][1], "internal_networks: %v", err)
			return nil
		}
		fixed = append(fixed, m)
	}
	var np path
	if netsField != "" {
		np = newPath(netsField)
	}
	return func(ev Event, _ *state) error {
		matchers := fixed
		if netsField != "" {
			v, ok, err := source(ev, np, ignoreMissing)
			if !ok {
				return err
			}
			if matchers, err = eventMatchers(np, v); err != nil {
				return err
			}
		}
		s, ok, err := flowAddr(ev, src, ignoreMissing)
		if !ok {
			return err
		}
		d, ok, err := flowAddr(ev, dst, ignoreMissing)
		if !ok {
			return err
		}
		return target.set(ev, direction(inAny(matchers, s), inAny(matchers, d)))
	}
}

func direction(srcIn, dstIn bool) string {
	switch {
	case srcIn && dstIn:
		return "internal"
	case srcIn:
		return "outbound"
	case dstIn:
		return "inbound"
	}
	return "external"
}

func flowAddr(ev Event, p path, ignoreMissing bool) (netip.Addr, bool, error) {
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

func eventMatchers(p path, v any) ([]ipMatcher, error) {
	l, isList := v.([]any)
	if !isList {
		l = []any{v}
	}
	out := make([]ipMatcher, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("field [%s]: a %s is not a network", p, typeName(e))
		}
		m, err := parseIPMatcher(s)
		if err != nil {
			return nil, fmt.Errorf("field [%s]: %w", p, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// ipMatcher tells whether an address is in a network.
type ipMatcher func(netip.Addr) bool

func inAny(ms []ipMatcher, a netip.Addr) bool {
	for _, m := range ms {
		if m(a) {
			return true
		}
	}
	return false
}

var namedNetworks = map[string]ipMatcher{
	"loopback":                  netip.Addr.IsLoopback,
	"unicast":                   netip.Addr.IsGlobalUnicast,
	"global_unicast":            netip.Addr.IsGlobalUnicast,
	"multicast":                 netip.Addr.IsMulticast,
	"interface_local_multicast": netip.Addr.IsInterfaceLocalMulticast,
	"link_local_unicast":        netip.Addr.IsLinkLocalUnicast,
	"link_local_multicast":      netip.Addr.IsLinkLocalMulticast,
	"private":                   netip.Addr.IsPrivate,
	"unspecified":               netip.Addr.IsUnspecified,
	"public":                    isPublic,
}

// isPublic: none of the other named ranges but unicast, and not the IPv4
// broadcast address.
func isPublic(a netip.Addr) bool {
	return !a.IsLoopback() && !a.IsPrivate() && !a.IsUnspecified() && !a.IsLinkLocalUnicast() &&
		!a.IsLinkLocalMulticast() && !a.IsInterfaceLocalMulticast() && !a.IsMulticast() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func parseIPMatcher(s string) (ipMatcher, error) {
	if m, ok := namedNetworks[s]; ok {
		return m, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("[%s] is not a network (CIDR, address or named range)", s)
		}
		p = p.Masked()
		return func(a netip.Addr) bool { return p.Contains(a) }, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return nil, fmt.Errorf("[%s] is not a network (CIDR, address or named range)", s)
	}
	ip = ip.Unmap()
	return func(a netip.Addr) bool { return a == ip }, nil
}
