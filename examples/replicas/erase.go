package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/identity"
)

// erase has replica a forget one customer's email, and checks that
// replica b forgets it too, that no row of the database holds it, and
// that the same form appended again on replica b does not bring it back.
func erase(ctx context.Context, o options, rs [2]*replica, obs []identity.Observation, w io.Writer) (bool, error) {
	form, email, ok := formWithEmail(rs[0].g, obs)
	if !ok {
		return false, errors.New("no observation with an email that resolves: nothing to erase")
	}
	canon, err := rs[0].g.Normalize(identity.Email, email.Value)
	if err != nil {
		return false, err
	}
	ch, err := rs[0].g.Forget(ctx, identity.Email, email.Value)
	if err != nil {
		return false, err
	}
	rs[0].js.Follow(ch)
	if err := rs[0].rc.Follow(rs[0].g, ch); err != nil {
		return false, err
	}
	for _, r := range rs { // a's stores rewrite their rows; b follows
		if _, err := r.pull(ctx); err != nil {
			return false, err
		}
	}
	_, errB := rs[1].g.Resolve(identity.Email, email.Value)
	rows, err := rowsHolding(ctx, rs[0], o.schema, canon.Value)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(w, "forgot a customer's email on replica a: replica b resolves it: %s; rows in PostgreSQL holding it: %d\n", yesNo(errB == nil), rows)
	ok = errors.Is(errB, identity.ErrNotFound) && rows == 0

	// The same form arrives again, on the other replica.
	again, err := rs[1].g.Observe(form)
	if err != nil && !errors.Is(err, identity.ErrDuplicate) {
		return false, err
	}
	if err := rs[1].tell(again, form); err != nil {
		return false, err
	}
	if _, err := rs[0].pull(ctx); err != nil {
		return false, err
	}
	_, errA := rs[0].g.Resolve(identity.Email, email.Value)
	_, errB = rs[1].g.Resolve(identity.Email, email.Value)
	if rows, err = rowsHolding(ctx, rs[0], o.schema, canon.Value); err != nil {
		return false, err
	}
	back := errA == nil || errB == nil
	fmt.Fprintf(w, "the same form again on replica b: the email is back: %s; rows holding it: %d\n", yesNo(back), rows)
	ok = ok && !back && rows == 0
	if ok {
		fmt.Fprintln(w, "the replicas agree, and the erasure holds on both and in the database")
	} else {
		fmt.Fprintln(w, "the replicas DISAGREE, or the erasure did not hold")
	}
	return ok, nil
}

// formWithEmail finds the first observation holding an email that
// resolves.
func formWithEmail(g *identity.Graph, obs []identity.Observation) (identity.Observation, identity.ID, bool) {
	for _, o := range obs {
		for _, id := range o.IDs {
			if id.Kind != identity.Email {
				continue
			}
			if _, err := g.Resolve(id.Kind, id.Value); err == nil {
				return o, id, true
			}
		}
	}
	return identity.Observation{}, identity.ID{}, false
}

// rowsHolding counts the rows of the log (every stream: identity, journey,
// reacher) and of its checkpoints whose
// bytes hold v.
func rowsHolding(ctx context.Context, r *replica, schema, v string) (int, error) {
	s := pgx.Identifier{schema}.Sanitize()
	var n int
	err := r.db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM `+s+`.log WHERE position($1::bytea IN payload) > 0)
		+ (SELECT count(*) FROM `+s+`.checkpoint WHERE position($1::bytea IN body) > 0)`, []byte(v)).Scan(&n)
	return n, err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
