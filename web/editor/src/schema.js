// The machine format's keys (SPEC 1), level by level, each with the one line
// the editor shows in completion and on hover. A level is named by the path
// of keys that leads to it, list items written "[]": "transitions[]" is a
// transition, "states[].timeout" a state's timeout.

const STATE_TYPES = ["initial", "stable", "terminal", "error", "parallel"];
const VARIABLE_TYPES = ["string", "number", "integer", "boolean", "object", "array"];
const BOOLEAN = ["true", "false"];

export const LEVELS = {
  "": {
    meta: "The machine's name, version and options",
    state_variables: "The context contract: the keys guards read, with type and default",
    events: "Documents triggers and their payloads (optional)",
    guards: "Named guards defined as expressions: name: \"expression\"",
    states: "The states (at least one; one root state of type initial)",
    transitions: "The transitions: trigger, source, dest, guards, actions",
    error_policy: "Reserved: default_fallback and retry_attempts (validated, kept)",
  },
  meta: {
    machine_name: "Free text; default \"unnamed\"",
    version: "Free text; default \"0.0.0\"",
    description: "What the machine is for",
    strict_mode: "true (default): an unbound guard or an unknown trigger is an error",
    validate_context: "true: check the context against state_variables before each event",
  },
  "state_variables[]": {
    key: "The context key",
    type: "string | number | integer | boolean | object | array",
    description: "What the value means",
    default: "The value \"Fill from state variables\" puts in",
    required: "true: the context must hold this key",
  },
  "events[]": {
    name: "The trigger this documents",
    description: "What the event means",
    payload: "The payload's fields: key, type, required, description",
  },
  "events[].payload[]": {
    key: "The payload field",
    type: "string | number | integer | boolean | object | array",
    description: "What the value means",
    default: "A default value",
    required: "true: the event needs this field",
  },
  "states[]": {
    name: "The state's name (lowercase letters, digits, underscore)",
    type: "initial | stable | terminal | error | parallel; default stable",
    description: "What the state means (shown when hovering it on the diagram)",
    parent: "The compound state this state is inside",
    initial_child: "The child entered when this compound state is entered",
    timeout: "{seconds, destination}: leave for destination after this long",
    on_enter: "Actions run on entering: a name, a list, or {name, params}",
    on_exit: "Actions run on leaving: a name, a list, or {name, params}",
    regions: "A parallel state's regions: {name, initial, states}",
  },
  "states[].timeout": {
    seconds: "How long the state may last (a number of seconds)",
    destination: "The state to go to when the time is up",
  },
  "states[].regions[]": {
    name: "The region's name",
    initial: "The region's first state",
    states: "The states of the region (their parent is the parallel state)",
  },
  "transitions[]": {
    trigger: "The event that fires it",
    source: "The state it leaves: one name or a list",
    dest: "The state it enters",
    guards: "Conditions that must all pass: names or {expr: \"...\"}",
    actions: "Actions run on the way: names or {name, params}",
    region: "The region of a parallel state it belongs to",
    description: "What the transition means",
    after: "Fire after a delay instead: 500 (ms), \"1.5s\", \"2m\", \"1h\"",
  },
  "transitions[].guards[]": {
    expr: "An inline guard expression, such as \"amount > 0\"",
  },
  "transitions[].actions[]": { name: "The action's name", params: "The action's parameters (a mapping)" },
  "states[].on_enter[]": { name: "The action's name", params: "The action's parameters (a mapping)" },
  "states[].on_exit[]": { name: "The action's name", params: "The action's parameters (a mapping)" },
  error_policy: {
    default_fallback: "The state to fall back to (validated, reserved)",
    retry_attempts: "How many times to retry (validated, reserved)",
  },
};

// LISTS_OF_MAPPINGS are the keys whose value is a list of mappings: a new
// item ("- ") starts with a key. The other lists hold names.
export const LISTS_OF_MAPPINGS = new Set([
  "state_variables", "events", "states", "transitions", "events[].payload", "states[].regions",
]);

// valueKind says what the value at a level's key names: "state", "trigger",
// "guard", "action", "region", or a fixed list of words; null when nothing
// can be offered.
export function valueKind(level, key) {
  switch (level + "." + key) {
    case "transitions[].source":
    case "transitions[].dest":
    case "states[].parent":
    case "states[].initial_child":
    case "states[].timeout.destination":
    case "states[].regions[].initial":
    case "states[].regions[].states":
    case "error_policy.default_fallback":
      return "state";
    case "transitions[].trigger":
    case "events[].name":
      return "trigger";
    case "transitions[].guards":
    case "transitions[].guards[].name":
      return "guard";
    case "transitions[].actions":
    case "transitions[].actions[].name":
    case "states[].on_enter":
    case "states[].on_exit":
    case "states[].on_enter[].name":
    case "states[].on_exit[].name":
      return "action";
    case "transitions[].region":
      return "region";
    case "states[].type":
      return STATE_TYPES;
    case "state_variables[].type":
    case "events[].payload[].type":
      return VARIABLE_TYPES;
    case "meta.strict_mode":
    case "meta.validate_context":
    case "state_variables[].required":
    case "events[].payload[].required":
      return BOOLEAN;
  }
  return null;
}

// levelOf names the level of a path of keys and list indexes:
// ["transitions", 3, "guards", 0] → "transitions[].guards[]".
export function levelOf(path) {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += "[]";
    else out += (out ? "." : "") + seg;
  }
  return out;
}
