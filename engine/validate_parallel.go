package engine

// This file checks parallel states: their regions, the states each region
// lists, and that parallel states do not nest.

func (v *validator) parallels() {
	for i, s := range v.def.States {
		if s.Type != StateParallel && s.Regions == nil {
			continue
		}
		at := v.src.state(i)
		ip := itemOf("states", at.item.index)
		if s.Type != StateParallel {
			v.pl.errorf(CodeInvalidParallel, ip.field("regions"), at.regionList, "only a state with `type: parallel` has regions; %q is %s", s.Name, s.Type)
			continue
		}
		if len(s.Regions) == 0 {
			v.pl.errorf(CodeInvalidParallel, ip, at.item.at, "the parallel state %q needs `regions:`, each with a name, an initial state and its states", s.Name)
			v.structural = false
			continue
		}
		if s.InitialChild != "" {
			v.pl.errorf(CodeInvalidParallel, ip.field("initial_child"), at.initialChild, "a parallel state enters all its regions; remove initial_child from %q", s.Name)
		}
		for a := v.parent[i]; a >= 0; a = v.parent[a] {
			if v.def.States[a].Type == StateParallel {
				v.pl.errorf(CodeInvalidParallel, ip, at.item.at, "the parallel state %q is nested inside the parallel state %q; parallel states cannot be nested", s.Name, v.def.States[a].Name)
				v.structural = false
				break
			}
		}
		inRegion := v.regionStates(i, ip.field("regions"), at.regions)
		for _, c := range v.children[i] {
			if _, ok := inRegion[c]; !ok {
				cat := v.src.state(c)
				cp := itemOf("states", cat.item.index)
				v.pl.errorf(CodeInvalidParallel, cp.field("parent"), cat.parent, "the state %q has `parent: %s` but is in none of its regions; list it under a region's states", v.def.States[c].Name, s.Name)
				v.structural = false
			}
		}
	}
	// descendants of region states belong to the same region
	for i := range v.def.States {
		if _, ok := v.regionOf[i]; ok {
			continue
		}
		for a := v.parent[i]; a >= 0; a = v.parent[a] {
			if r, ok := v.regionOf[a]; ok {
				v.regionOf[i] = r
				break
			}
		}
	}
}

// regionStates checks the regions of the parallel state i (at p, written at
// regs) and returns the region name of each state they list.
func (v *validator) regionStates(i int, p path, regs span) map[int]string {
	s := v.def.States[i]
	seenRegion := map[string]int{}
	inRegion := map[int]string{}
	for ri, r := range s.Regions {
		at := v.src.region(regs, ri)
		rp := p.item(int(at.item.index))
		v.checkName("region", rp.field("name"), at.name, r.Name)
		if j, dup := seenRegion[r.Name]; dup {
			v.pl.errorf(CodeDuplicateRegion, rp.field("name"), at.name, "the region %q is already defined at regions[%d]", r.Name, v.src.region(regs, j).item.index)
			v.structural = false
		} else {
			seenRegion[r.Name] = ri
		}
		if len(r.States) == 0 {
			v.pl.errorf(CodeInvalidParallel, rp, at.item.at, "the region %q lists no states", r.Name)
			v.structural = false
			continue
		}
		sp := rp.field("states")
		for si, name := range r.States {
			it := v.src.item(at.states, si)
			k := v.ref(sp.item(int(it.index)), it.at, "region state", name)
			if k < 0 {
				v.structural = false
				continue
			}
			if v.parent[k] != i {
				v.pl.errorf(CodeInvalidParallel, sp.item(int(it.index)), it.at, "the region state %q must have `parent: %s`", name, s.Name)
				v.structural = false
				continue
			}
			if other, dup := inRegion[k]; dup {
				v.pl.errorf(CodeInvalidParallel, sp.item(int(it.index)), it.at, "the state %q is already in the region %q", name, other)
				v.structural = false
				continue
			}
			inRegion[k] = r.Name
			v.regionOf[k] = [2]int{i, ri}
		}
		if r.Initial != "" {
			k := v.ref(rp.field("initial"), at.initial, "region initial", r.Initial)
			if k >= 0 && !contains(r.States, r.Initial) {
				v.pl.errorf(CodeInvalidParallel, rp.field("initial"), at.initial, "the initial state %q of region %q is not one of its states", r.Initial, r.Name)
				v.structural = false
			} else if k < 0 {
				v.structural = false
			}
		}
	}
	return inRegion
}
