package engine

import "gopkg.in/yaml.v3"

// This file reads `states:`: each state, its timeout and its regions.

func (d *decoder) states(p path, n *yaml.Node) []StateDef {
	d.src.stateList = posOf(n)
	if isNull(n) {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "states must list at least one state")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "states must be a list, not %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "states must list at least one state")
		return nil
	}
	if len(n.Content) > d.lim.MaxStates {
		d.pl.errorf(CodeLimitExceeded, p, posOf(n), "the machine has %d states; the limit is %d", len(n.Content), d.lim.MaxStates)
		return nil
	}
	out := make([]StateDef, 0, len(n.Content))
	d.src.states = make([]statePos, 0, len(n.Content))
	for i, c := range n.Content {
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		ip := p.item(i)
		at := statePos{item: itemPos{at: posOf(c), index: int32(i)}}
		s := StateDef{Type: StateStable}
		switch c.Kind {
		case yaml.ScalarNode:
			s.Name, _ = d.text(ip.field("name"), c)
			at.name = at.item.at
		case yaml.MappingNode:
			d.stateFields(ip, c, &s, &at)
		default:
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a state must be a mapping with `name`, not %s", kindName(c))
			continue
		}
		if s.Name == "" {
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a state needs a `name`")
		}
		out = append(out, s)
		d.src.states = append(d.src.states, at)
	}
	return out
}

// stateFields reads the fields of a state written as a mapping.
func (d *decoder) stateFields(ip path, c *yaml.Node, s *StateDef, at *statePos) {
	hasType := false
	var buf pairBuf
	for _, e := range d.pairs(ip, c, buf[:0]) {
		fp := ip.field(e.key)
		switch e.key {
		case "name":
			s.Name, _ = d.text(fp, e.val)
			at.name = posOf(e.val)
		case "type":
			if t, ok := d.text(fp, e.val); ok {
				s.Type = t
				hasType = true
			}
			at.typ = posOf(e.val)
		case "description":
			s.Description, _ = d.text(fp, e.val)
		case "parent":
			s.Parent, _ = d.text(fp, e.val)
			at.parent = posOf(e.val)
		case "initial_child":
			s.InitialChild, _ = d.text(fp, e.val)
			at.initialChild = posOf(e.val)
		case "timeout":
			s.Timeout = d.timeout(fp, e.val, at)
		case "on_enter":
			s.OnEnter, at.onEnter = d.actions(fp, e.val)
		case "on_exit":
			s.OnExit, at.onExit = d.actions(fp, e.val)
		case "regions":
			at.regionList = posOf(e.val)
			s.Regions, at.regions = d.regions(fp, e.val)
			if s.Regions == nil {
				s.Regions = []RegionDef{}
			}
		default:
			if s.Metadata == nil {
				s.Metadata = map[string]any{}
			}
			s.Metadata[e.key] = d.value(fp, e.val, 1)
		}
	}
	if !hasType && len(s.Regions) > 0 {
		s.Type = StateParallel
	}
}

func (d *decoder) timeout(p path, n *yaml.Node, at *statePos) *TimeoutDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidTimeout, p, posOf(n), "timeout must be {seconds, destination}, not %s", kindName(n))
		return nil
	}
	at.timeout = posOf(n)
	t := &TimeoutDef{}
	var haveSeconds bool
	var buf pairBuf
	for _, e := range d.pairs(p, n, buf[:0]) {
		fp := p.field(e.key)
		switch e.key {
		case "seconds":
			if e.val.Kind == yaml.ScalarNode && (e.val.Tag == "!!int" || e.val.Tag == "!!float") {
				f, _ := d.number(fp, e.val)
				if f <= 0 || f > 10*365*24*3600 {
					d.pl.errorf(CodeInvalidTimeout, fp, posOf(e.val), "timeout seconds must be more than 0 and at most ten years, not %v", f)
					return nil
				}
				t.Seconds = f
				haveSeconds = true
			} else {
				d.pl.errorf(CodeInvalidTimeout, fp, posOf(e.val), "timeout seconds must be a number, not %s", kindName(e.val))
				return nil
			}
		case "destination", "dest":
			t.Destination, _ = d.text(fp, e.val)
			at.timeoutDest = posOf(e.val)
		}
	}
	if !haveSeconds {
		d.pl.errorf(CodeInvalidTimeout, p, posOf(n), "timeout needs `seconds`")
		return nil
	}
	if t.Destination == "" {
		d.pl.errorf(CodeInvalidTimeout, p, posOf(n), "timeout needs a `destination` state")
		return nil
	}
	return t
}

// regions reads a parallel state's regions; their positions go to
// sourceMap.regions.
func (d *decoder) regions(p path, n *yaml.Node) ([]RegionDef, span) {
	start := len(d.src.regions)
	if isNull(n) {
		return nil, span{}
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "regions must be a list, not %s", kindName(n))
		return nil, span{}
	}
	var out []RegionDef
	for i, c := range n.Content {
		ip := p.item(i)
		c = d.deref(c)
		if c == nil {
			continue
		}
		if c.Kind != yaml.MappingNode {
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a region must be a mapping {name, initial, states}, not %s", kindName(c))
			continue
		}
		var r RegionDef
		at := regionPos{item: itemPos{at: posOf(c), index: int32(i)}}
		var buf pairBuf
		for _, e := range d.pairs(ip, c, buf[:0]) {
			fp := ip.field(e.key)
			switch e.key {
			case "name":
				r.Name, _ = d.text(fp, e.val)
				at.name = posOf(e.val)
			case "initial":
				r.Initial, _ = d.text(fp, e.val)
				at.initial = posOf(e.val)
			case "states":
				r.States, at.states = d.names(fp, e.val)
			}
		}
		if r.Name == "" {
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a region needs a `name`")
			continue
		}
		out = append(out, r)
		d.src.regions = append(d.src.regions, at)
	}
	return out, spanOf(start, len(d.src.regions), true)
}
