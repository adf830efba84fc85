package station

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// send uploads and confirms the folder's queued pages in position order.
func (a *agent) send(ctx context.Context, f folderRec) error {
	files, err := a.q.files(f.Name)
	if err != nil {
		return err
	}
	for _, r := range files {
		if r.State != stateQueued && r.State != stateStaged {
			continue
		}
		if r.State == stateQueued {
			if r, err = a.upload(ctx, f, r); err != nil {
				return err
			}
			if r.State == stateRefused {
				continue
			}
		}
		if r, err = a.confirm(ctx, f, r); err != nil {
			return err
		}
		if r.State == stateConfirmed {
			a.bar(f, files)
		}
	}
	return nil
}

// refuse records that the service will not take a file, and says why.
func (a *agent) refuse(f folderRec, r fileRec, err error) (fileRec, error) {
	r.State, r.Error = stateRefused, err.Error()
	a.say("%s: page %d (%s) REFUSED: %v", f.Code, r.Position, r.Name, err)
	return r, a.q.putFile(r)
}

// hold stops work on a folder the service no longer lets the agent
// change (submitted by someone else, deleted).
func (a *agent) hold(f folderRec, err error) error {
	a.held[f.Name] = err.Error()
	return errHeld
}

// upload gets the service to hold a queued file's bytes: nothing sent
// when it already does (a restart after the upload, the same scan in
// another dossier of the office), in parts for a large file.
func (a *agent) upload(ctx context.Context, f folderRec, r fileRec) (fileRec, error) {
	path := filepath.Join(a.cfg.Watch, f.Name, r.Name)
	if info, err := os.Stat(path); err != nil || info.Size() != r.Size || !info.ModTime().Equal(r.ModTime) {
		// The scan was replaced or removed after it was queued; its
		// bytes are no longer the ones hashed.
		if err == nil {
			err = errors.New("the file changed after it was queued; scan it again as a new file")
		}
		return a.refuse(f, r, err)
	}
	op := fmt.Sprintf("upload page %d (%s) of %s", r.Position, r.Name, f.Code)
	failures := 0
	for n := 0; ; n++ {
		multipart := r.Size > a.cfg.MultipartAbove && !a.singlePut
		var err error
		var staged bool
		if multipart {
			r, staged, err = a.parts(ctx, f, r, path, op)
		} else {
			staged, err = a.single(ctx, f, r, path, op)
		}
		if err == nil && staged {
			r.State, r.UploadKey, r.UploadID = stateStaged, "", ""
			return r, a.q.putFile(r)
		}
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		var ae *apiError
		errors.As(err, &ae)
		switch {
		case err == nil || ae == nil || transient(ae.Status):
			// No answer, or one worth waiting out: try again.
		case ae.Presigned:
			// A presigned URL may have expired during an outage, and a
			// fresh one is asked for; a few refusals in a row are the
			// bytes themselves.
			if failures++; failures >= 4 {
				return a.refuse(f, r, err)
			}
		case multipart && ae.Status == http.StatusBadRequest && strings.Contains(ae.Detail, "one PUT"):
			a.singlePut = true
			continue
		case ae.Status == http.StatusConflict && strings.Contains(ae.Detail, "missing parts"):
			// Completed before every part arrived: ask which are missing.
		case ae.Status == http.StatusUnprocessableEntity && multipart:
			// The parts did not hash to the page: the upload was
			// dropped; start it again, a few times.
			if failures++; failures >= 4 {
				return a.refuse(f, r, err)
			}
		case ae.Status == http.StatusConflict, ae.Status == http.StatusNotFound,
			ae.Status == http.StatusUnauthorized, ae.Status == http.StatusForbidden:
			// The dossier no longer takes pages, or not from this token.
			return r, a.hold(f, err)
		default:
			// The page itself: its type, its size.
			return a.refuse(f, r, err)
		}
		if err != nil {
			a.say("%v; trying again", err)
		}
		if err := a.c.backoff(ctx, n); err != nil {
			return r, err
		}
	}
}

// uploadAnswer is the service's answer to an upload request.
type uploadAnswer struct {
	Exists    bool       `json:"exists"`
	Upload    *presigned `json:"upload"`
	Multipart *struct {
		Key      string `json:"key"`
		UploadID string `json:"upload_id"`
		PartSize int64  `json:"part_size"`
		Parts    int    `json:"parts"`
	} `json:"multipart"`
	Missing []struct {
		Number int       `json:"number"`
		Upload presigned `json:"upload"`
	} `json:"missing"`
}

// request asks the service where to send a page. Permanent refusals of
// the page itself (type, size, hash) are apiErrors of status 4xx.
func (a *agent) request(ctx context.Context, f folderRec, r fileRec, multipart bool, op string) (uploadAnswer, error) {
	var ans uploadAnswer
	body := map[string]any{"sha256": r.SHA256, "size": r.Size, "content_type": r.ContentType, "multipart": multipart}
	err := a.c.call(ctx, op, http.MethodPost, "/v1/dossiers/"+url.PathEscape(f.Code)+"/uploads", body, &ans)
	return ans, err
}

// single sends a page in one PUT; it reports whether the service now
// holds the bytes.
func (a *agent) single(ctx context.Context, f folderRec, r fileRec, path, op string) (bool, error) {
	ans, err := a.request(ctx, f, r, false, op)
	if err != nil || ans.Exists {
		return ans.Exists, err
	}
	if ans.Upload == nil {
		return false, fmt.Errorf("%s: the service gave no upload URL", op)
	}
	if err := a.c.put(ctx, op, *ans.Upload, path, 0, r.Size); err != nil {
		return false, err
	}
	return true, nil
}

// parts sends a large page in parts, resuming the upload the queue
// remembers: only the parts the service does not hold are sent.
func (a *agent) parts(ctx context.Context, f folderRec, r fileRec, path, op string) (fileRec, bool, error) {
	var ans uploadAnswer
	var err error
	base := "/v1/dossiers/" + url.PathEscape(f.Code) + "/uploads/multipart/"
	if r.UploadKey != "" {
		ref := map[string]string{"key": r.UploadKey, "upload_id": r.UploadID}
		err = a.c.call(ctx, op+": parts held", http.MethodPost, base+"parts", ref, &ans)
		if st := statusOf(err); st == http.StatusNotFound || st == http.StatusBadRequest {
			// Completed, aborted or expired: ask afresh; the service
			// answers exists when it was completed.
			r.UploadKey, r.UploadID = "", ""
			return r, false, a.q.putFile(r)
		}
		if err == nil && ans.Multipart != nil {
			a.say("%s: page %d (%s) resumed: %d of %d parts held", f.Code, r.Position, r.Name,
				ans.Multipart.Parts-len(ans.Missing), ans.Multipart.Parts)
		}
	} else {
		ans, err = a.request(ctx, f, r, true, op)
		if err == nil && ans.Exists {
			return r, true, nil
		}
		if err == nil && ans.Multipart != nil {
			r.UploadKey, r.UploadID = ans.Multipart.Key, ans.Multipart.UploadID
			if err := a.q.putFile(r); err != nil {
				return r, false, err
			}
		}
	}
	if err != nil {
		return r, false, err
	}
	if ans.Multipart == nil {
		return r, false, fmt.Errorf("%s: the service gave no multipart upload", op)
	}
	m := ans.Multipart
	for _, p := range ans.Missing {
		off := int64(p.Number-1) * m.PartSize
		if err := a.c.put(ctx, fmt.Sprintf("%s: part %d of %d", op, p.Number, m.Parts), p.Upload, path, off, min(m.PartSize, r.Size-off)); err != nil {
			return r, false, err
		}
		a.say("%s: page %d (%s) part %d/%d sent", f.Code, r.Position, r.Name, p.Number, m.Parts)
	}
	ref := map[string]string{"key": r.UploadKey, "upload_id": r.UploadID}
	err = a.c.call(ctx, op+": complete", http.MethodPost, base+"complete", ref, nil)
	if statusOf(err) == http.StatusUnprocessableEntity {
		r.UploadKey, r.UploadID = "", ""
		if perr := a.q.putFile(r); perr != nil {
			return r, false, perr
		}
	}
	return r, err == nil, err
}

// confirm makes a staged file a page of the dossier at its position.
// Confirming again after a lost answer is no change to the service.
func (a *agent) confirm(ctx context.Context, f folderRec, r fileRec) (fileRec, error) {
	op := fmt.Sprintf("confirm page %d (%s) of %s", r.Position, r.Name, f.Code)
	body := map[string]any{"position": r.Position, "sha256": r.SHA256}
	err := a.c.call(ctx, op, http.MethodPost, "/v1/dossiers/"+url.PathEscape(f.Code)+"/pages", body, nil)
	switch st := statusOf(err); {
	case err == nil:
		r.State = stateConfirmed
		return r, a.q.putFile(r)
	case ctx.Err() != nil:
		return r, ctx.Err()
	case st == http.StatusConflict && strings.Contains(err.Error(), "upload the page first"):
		// The staged bytes were swept while the station was away: send
		// them again.
		r.State = stateQueued
		return r, a.q.putFile(r)
	case st == http.StatusConflict && strings.Contains(err.Error(), "only before it is submitted"),
		st == http.StatusNotFound, st == http.StatusUnauthorized, st == http.StatusForbidden:
		return r, a.hold(f, err)
	case st != 0:
		return a.refuse(f, r, err)
	default:
		return r, err
	}
}
