package api

import (
	"encoding/json"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// The API's JSON shapes (SPEC 6). They are made from the store's types here,
// so that a change of storage never changes what clients see.

// MachineJSON is a stored machine as the API shows it.
type MachineJSON struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Description string          `json:"description"`
	StrictMode  bool            `json:"strict_mode"`
	YAML        string          `json:"yaml"`
	Config      json.RawMessage `json:"config"`
	Revision    int             `json:"revision"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// MachineSummaryJSON is a row of GET /machines.
type MachineSummaryJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	Description  string    `json:"description"`
	Revision     int       `json:"revision"`
	UpdatedAt    time.Time `json:"updated_at"`
	Entities     int       `json:"entities"`
	LiveEntities int       `json:"live_entities"`
}

func machineSummaryJSON(m store.MachineSummary) MachineSummaryJSON {
	return MachineSummaryJSON{ID: m.ID, Name: m.Name, Version: m.Version, Description: m.Description,
		Revision: m.Revision, UpdatedAt: m.UpdatedAt, Entities: m.Entities, LiveEntities: m.LiveEntities}
}

// EntityJSON is an entity as the API shows it.
type EntityJSON struct {
	ID         string         `json:"id"`
	MachineID  string         `json:"machine_id"`
	Revision   int            `json:"revision"`
	State      string         `json:"state"`
	Context    engine.Context `json:"context"`
	Version    int            `json:"version"`
	HistoryLen int            `json:"history_len"`
	EnteredAt  time.Time      `json:"entered_at"`
	Timers     []TimerJSON    `json:"timers"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// TimerJSON is a pending timer.
type TimerJSON struct {
	ID      int64     `json:"id"`
	Trigger string    `json:"trigger"`
	Kind    string    `json:"kind"`
	State   string    `json:"state"`
	AfterMs int64     `json:"after_ms"`
	DueAt   time.Time `json:"due_at"`
}

func entityJSON(e *store.Entity) EntityJSON {
	out := EntityJSON{ID: e.ID, MachineID: e.MachineID, Revision: e.Revision, State: e.State, Context: e.Context,
		Version: e.Version, HistoryLen: e.HistoryLen, EnteredAt: e.EnteredAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		Timers: make([]TimerJSON, len(e.Timers))}
	if out.Context == nil {
		out.Context = engine.Context{}
	}
	for i, t := range e.Timers {
		out.Timers[i] = TimerJSON{ID: t.ID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: t.DueAt}
	}
	return out
}

// OutcomeJSON is the answer of POST /entities/{id}/events.
type OutcomeJSON struct {
	Result engine.Result `json:"result"`
	Entity EntityJSON    `json:"entity"`
}

// HistoryEventJSON is one history row.
type HistoryEventJSON struct {
	Seq            int            `json:"seq"`
	Trigger        string         `json:"trigger"`
	Payload        engine.Context `json:"payload"`
	SourceState    string         `json:"source_state"`
	TargetState    string         `json:"target_state"`
	Success        bool           `json:"success"`
	Error          *engine.Error  `json:"error"`
	Actions        []string       `json:"actions"`
	ByTimer        bool           `json:"by_timer"`
	IdempotencyKey *string        `json:"idempotency_key"`
	Actor          string         `json:"actor"`
	At             time.Time      `json:"at"`
}

func historyEventJSON(h store.HistoryEvent) HistoryEventJSON {
	out := HistoryEventJSON{Seq: h.Seq, Trigger: h.Trigger, Payload: h.Payload, SourceState: h.SourceState, TargetState: h.TargetState,
		Success: h.Success, Error: h.Error, Actions: h.Actions, ByTimer: h.ByTimer, Actor: h.Actor, At: h.At}
	if h.IdempotencyKey != "" {
		k := h.IdempotencyKey
		out.IdempotencyKey = &k
	}
	if out.Actions == nil {
		out.Actions = []string{}
	}
	return out
}

// HistoryJSON is a page of GET /entities/{id}/history.
type HistoryJSON struct {
	Events    []HistoryEventJSON `json:"events"`
	NextAfter *int               `json:"next_after"`
}

// StatsJSON is the answer of GET /machines/{id}/stats.
type StatsJSON struct {
	MachineID string         `json:"machine_id"`
	Total     int            `json:"total"`
	Live      int            `json:"live"`
	Counts    map[string]int `json:"counts"`
	ByState   map[string]int `json:"by_state"`
}

// ShareJSON is a stored share.
type ShareJSON struct {
	ID        string          `json:"id"`
	YAML      string          `json:"yaml"`
	Trace     json.RawMessage `json:"trace,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}
