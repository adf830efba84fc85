package ocr

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese is written in syllables of a fixed shape: an optional initial
// consonant, a vowel nucleus (with its glides), an optional final consonant
// and at most one tone mark. Text read from a page turned the wrong way is
// made of letters too, often with good confidence, but hardly ever of
// syllables that fit that shape. So the share of words that are valid
// syllables tells a right reading from a wrong one without a dictionary,
// and works for any text, names included.

var onsets = []string{ // longest first
	"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
}

// openRimes end in a vowel; closedNuclei take a final consonant.
var (
	openRimes = set("a e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iu oa oe oi ôi ơi ua uê ui uơ uy ưa ưi ưu ya " +
		"oai oay oao oeo uai uây uôi uya uyu ươi ươu iêu yêu uê uyu")
	closedNuclei = set("a ă â e ê i o ô ơ u ư y oa oă oe oo uâ uê uy iê yê uô ươ uyê")
	codas        = []string{"ng", "nh", "ch", "c", "m", "n", "p", "t"}
)

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// toneMarks are the combining marks that carry the five marked tones;
// circumflex, breve and horn are part of the letter.
var toneMarks = map[rune]bool{'\u0300': true, '\u0301': true, '\u0303': true, '\u0309': true, '\u0323': true}

// IsSyllable reports whether word, a run of letters, has the shape of a
// Vietnamese syllable (any case, any tone).
func IsSyllable(word string) bool {
	var base []rune
	tones := 0
	for _, r := range norm.NFD.String(strings.ToLower(word)) {
		if toneMarks[r] {
			tones++
			continue
		}
		base = append(base, r)
	}
	if tones > 1 || len(base) == 0 {
		return false
	}
	s := norm.NFC.String(string(base))
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	if rimeOK(s) {
		return true
	}
	for _, o := range onsets {
		if rest, ok := strings.CutPrefix(s, o); ok {
			if rimeOK(rest) || (o == "gi" && rest == "") || (o == "gi" && rimeOK("i"+rest)) {
				return true
			}
		}
	}
	return false
}

func rimeOK(r string) bool {
	if openRimes[r] {
		return true
	}
	for _, c := range codas {
		if n, ok := strings.CutSuffix(r, c); ok && closedNuclei[n] {
			return true
		}
	}
	return false
}

// Plausibility scores a reading as Vietnamese: the share of its letters
// that stand in words shaped like Vietnamese syllables, over the words
// made only of letters (numbers, codes and punctuation say nothing either
// way). ok is false when there were no such words.
func Plausibility(words []Word) (share float64, ok bool) {
	var good, all int
	for _, w := range words {
		t := strings.TrimFunc(w.Text, func(r rune) bool { return !unicode.IsLetter(r) })
		if t == "" || strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
			continue
		}
		n := len([]rune(t))
		all += n
		if IsSyllable(t) {
			good += n
		}
	}
	if all == 0 {
		return 0, false
	}
	return float64(good) / float64(all), true
}
