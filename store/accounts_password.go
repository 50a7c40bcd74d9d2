package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost of argon2id. DefaultArgon2 is one of OWASP's
// recommended settings (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1),
// about 20-40 ms of one core and 19 MiB per hash.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 is the cost new passwords are hashed with.
func DefaultArgon2() Argon2Params { return Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1} }

const (
	argonSaltLen = 16
	argonKeyLen  = 32
)

// errBadHash is a stored hash this store cannot read.
var errBadHash = errors.New("the stored password hash is not an argon2id hash")

// hashPassword hashes pw with argon2id and a random salt, in the PHC string
// format that keeps the parameters and the salt with the hash:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func hashPassword(pw string, p Argon2Params) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// verifyPassword compares pw with an encoded hash in constant time, with
// the parameters stored in the hash (so that hashes made with older costs
// still verify).
func verifyPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 || p.Time > 64 {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// hashSlot waits for one of the store's password hashing slots: each hash
// takes Memory KiB, so that a burst of log-ins cannot take the server's
// memory; the caller releases it.
func (s *Store) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.acct.hashing <- struct{}{}:
		return func() { <-s.acct.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash hashes a new password in a hashing slot.
func (s *Store) hash(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(pw, s.opts.Argon2), nil
}

// dummyHash is a well-formed hash of the store's cost that no password
// matches (its key is all zeros): a log-in as an unknown user is verified
// against it, so that it takes as long as one with a wrong password.
func dummyHash(p Argon2Params) string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(make([]byte, argonSaltLen)), enc.EncodeToString(make([]byte, argonKeyLen)))
}

// verify checks a password in a hashing slot.
func (s *Store) verify(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return verifyPassword(encoded, pw)
}
