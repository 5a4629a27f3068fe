// Command score compares examples/resolve's answer with a population's
// ground truth: pairwise precision and recall over all identifiers and over
// contacts (emails, phones, CRM numbers), over-merged profiles and split
// people.
//
//	go run ./examples/population -traps -people 20000 -out obs.jsonl -truth truth.tsv -queries q.tsv -nqueries 0
//	go run ./examples/resolve -observations obs.jsonl -queries q.tsv > answer.tsv
//	go run ./examples/score -truth truth.tsv -answer answer.tsv
//
// truth.tsv: kind<TAB>value<TAB>person (-1: nobody). answer.tsv:
// kind<TAB>value<TAB>profile. Lines are joined by kind and value.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/throughline/throughline/internal/population"
)

func main() {
	truth := flag.String("truth", "", "ground truth TSV (required)")
	answer := flag.String("answer", "", "resolve's answer TSV (required)")
	flag.Parse()
	if *truth == "" || *answer == "" {
		fmt.Fprintln(os.Stderr, "usage: score -truth truth.tsv -answer answer.tsv")
		os.Exit(2)
	}
	s, err := score(*truth, *answer)
	if err != nil {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(1)
	}
	s.Print(os.Stdout)
}

func eachLine(path string, fn func(line int, fields []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			if ferr := fn(n, strings.Split(line, "\t")); ferr != nil {
				return fmt.Errorf("%s line %d: %w", path, n, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func score(truthPath, answerPath string) (population.Score, error) {
	profile := map[string]string{}
	err := eachLine(answerPath, func(_ int, f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("want kind, value, profile; got %d fields", len(f))
		}
		profile[f[0]+"\t"+f[1]] = f[2]
		return nil
	})
	if err != nil {
		return population.Score{}, err
	}
	var ids []population.Labeled
	missing := 0
	err = eachLine(truthPath, func(_ int, f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("want kind, value, person; got %d fields", len(f))
		}
		p, err := strconv.ParseInt(f[2], 10, 32)
		if err != nil {
			return fmt.Errorf("person %q: %w", f[2], err)
		}
		prof, ok := profile[f[0]+"\t"+f[1]]
		if !ok {
			missing++
		}
		ids = append(ids, population.Labeled{Contact: f[0] == "email" || f[0] == "phone" || f[0] == "crm", Profile: prof, Person: int32(p)})
		return nil
	})
	if err != nil {
		return population.Score{}, err
	}
	if missing > 0 {
		return population.Score{}, fmt.Errorf("%d identifiers of the truth have no answer line (query them all: population -nqueries 0)", missing)
	}
	return population.Evaluate(ids), nil
}
