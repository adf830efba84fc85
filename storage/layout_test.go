package storage

import (
	"errors"
	"strings"
	"testing"
)

func TestOriginalKey(t *testing.T) {
	k, err := OriginalKey(strings.ToUpper(hashA))
	if err != nil || k != "originals/ab/"+hashA {
		t.Fatalf("OriginalKey = %q, %v", k, err)
	}
	if h, err := OriginalHash(k); err != nil || h != hashA {
		t.Fatalf("OriginalHash = %q, %v", h, err)
	}
	for _, bad := range []string{"", "ab", hashA + "0", "zz" + hashA[2:], "../" + hashA[3:]} {
		if _, err := OriginalKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("OriginalKey(%q) = %v, want ErrBadKey", bad, err)
		}
	}
}

func TestStagingKey(t *testing.T) {
	h := strings.Repeat("ab", 32)
	k, err := StagingKey("UBND-XA-01-250101-0001", strings.ToUpper(h))
	if err != nil || k != "staging/UBND-XA-01-250101-0001/"+h {
		t.Fatalf("StagingKey = %q, %v", k, err)
	}
	if CheckKey(k) != nil || IsOriginal(k) {
		t.Errorf("staging key %q: CheckKey %v, IsOriginal %v; want a valid derived key", k, CheckKey(k), IsOriginal(k))
	}
	scope, sum, err := ParseStagingKey(k)
	if err != nil || scope != "UBND-XA-01-250101-0001" || sum != h {
		t.Errorf("ParseStagingKey(%q) = %q, %q, %v", k, scope, sum, err)
	}
	for _, bad := range []struct{ scope, sum string }{{"", h}, {"../x", h}, {"a/b", h}, {".x", h}, {"X", "abc"}} {
		if k, err := StagingKey(bad.scope, bad.sum); !errors.Is(err, ErrBadKey) {
			t.Errorf("StagingKey(%q, %q) = %q, %v; want ErrBadKey", bad.scope, bad.sum, k, err)
		}
	}
	for _, bad := range []string{"staging/x", "staging/x/" + h + "/y", "staging//" + h, "derived/x/" + h, "staging/x/" + strings.ToUpper(h)} {
		if _, _, err := ParseStagingKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseStagingKey(%q) = %v; want ErrBadKey", bad, err)
		}
	}
}

func TestMultipartKey(t *testing.T) {
	const scope = "UBND-XA-01-250101-0001"
	h := strings.Repeat("cd", 32)
	k, err := MultipartKey(scope, strings.ToUpper(h), 12345)
	if err != nil || !strings.HasPrefix(k, MultipartPrefix+scope+"/"+h+"/12345/") || CheckKey(k) != nil || IsOriginal(k) {
		t.Fatalf("MultipartKey = %q, %v; want a valid derived key under %s", k, err, MultipartPrefix)
	}
	gotScope, sum, size, err := ParseMultipartKey(k)
	if err != nil || gotScope != scope || sum != h || size != 12345 {
		t.Errorf("ParseMultipartKey(%q) = %q, %q, %d, %v", k, gotScope, sum, size, err)
	}
	tag := k[len(k)-32:]
	for _, bad := range []string{
		"uploads/x",
		MultipartPrefix + scope + "/" + h + "/1/" + tag,      // size changed, tag kept
		MultipartPrefix + scope + "/" + h + "/012345/" + tag, // not the size's canonical form
		MultipartPrefix + scope + "/" + h + "/+12345/" + tag,
		MultipartPrefix + "OTHER/" + h + "/12345/" + tag, // scope changed
		MultipartPrefix + h + "/12345/" + tag,            // no scope
		MultipartPrefix + scope + "/" + strings.ToUpper(h) + "/12345/" + tag,
		StagingPrefix + scope + "/" + h,
	} {
		if _, _, _, err := ParseMultipartKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseMultipartKey(%q) = %v; want ErrBadKey", bad, err)
		}
	}
	if _, err := MultipartKey(scope, h, 0); !errors.Is(err, ErrBadKey) {
		t.Errorf("MultipartKey of 0 bytes = %v; want ErrBadKey", err)
	}

	m, err := ResumeMultipart(k, "upload-1")
	if err != nil || m.Scope != scope || m.SHA256 != h || m.Size != 12345 || m.Parts != 1 || m.PartLen(1) != 12345 {
		t.Errorf("ResumeMultipart = %+v, %v", m, err)
	}
	big, _ := MultipartKey(scope, h, MaxMultipartSize+1)
	for _, bad := range []struct{ key, id string }{{k, ""}, {big, "u"}, {"derived/x", "u"}} {
		if _, err := ResumeMultipart(bad.key, bad.id); !errors.Is(err, ErrBadKey) {
			t.Errorf("ResumeMultipart(%q, %q) = %v; want ErrBadKey", bad.key, bad.id, err)
		}
	}
	m, err = NewMultipart(scope, h, 2*MultipartPartSize+1)
	if err != nil || m.Parts != 3 || m.PartLen(1) != MultipartPartSize || m.PartLen(3) != 1 {
		t.Errorf("NewMultipart of two parts and a byte = %+v, %v", m, err)
	}
}

// TestDerivedKeys: every name the layout gives a derived object is a
// valid key outside the originals, and the assembled PDF's key gives back
// its dossier and digest.
func TestDerivedKeys(t *testing.T) {
	h := strings.Repeat("ef", 32)
	const code, digest = "HS-2025-0001", "0123456789abcdef0123456789abcdef"
	for _, k := range []string{
		PageResultKey(h, digest), PageFrameKey(h, digest, 3), PageImageKey(h, digest, 3),
		AssembledKey(code, digest), AssembledManifestKey(code, digest), SignedKey(code, h), SignedManifestKey(code, h),
		MetadataKey(code, h),
	} {
		if err := CheckKey(k); err != nil || IsOriginal(k) {
			t.Errorf("%q: CheckKey %v, IsOriginal %v; want a valid derived key", k, err, IsOriginal(k))
		}
	}
	for _, k := range []string{PageResultKey(h, digest), PageFrameKey(h, digest, 3), PageImageKey(h, digest, 3)} {
		if !strings.HasPrefix(k, PageResultsPrefix(h)) {
			t.Errorf("%q is not under PageResultsPrefix %q", k, PageResultsPrefix(h))
		}
	}
	if !strings.HasPrefix(SignedKey(code, h), SignedPrefix(code)) || !strings.HasPrefix(SignedManifestKey(code, h), SignedPrefix(code)) {
		t.Errorf("signed keys %q, %q not under %q", SignedKey(code, h), SignedManifestKey(code, h), SignedPrefix(code))
	}
	// The sign stage sweeps what lies under SignedPrefix; metadata must not.
	if strings.HasPrefix(MetadataKey(code, h), SignedPrefix(code)) {
		t.Errorf("metadata key %q lies under %q", MetadataKey(code, h), SignedPrefix(code))
	}
	c, d, err := ParseAssembledKey(AssembledKey(code, digest))
	if err != nil || c != code || d != digest {
		t.Errorf("ParseAssembledKey = %q, %q, %v", c, d, err)
	}
	for _, bad := range []string{SignedKey(code, h), AssembledManifestKey(code, digest), "dossiers/" + code + "/assembled-.pdf", "dossiers/assembled-x.pdf"} {
		if _, _, err := ParseAssembledKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseAssembledKey(%q) = %v; want ErrBadKey", bad, err)
		}
	}
}
