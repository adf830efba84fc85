package catalog

import "slices"

// Status is where a dossier stands in the flow.
type Status string

// Dossier statuses, in flow order; Failed is reachable from the stages
// that do work (processing, assembling, signing).
const (
	Created    Status = "created"
	Uploading  Status = "uploading"
	Submitted  Status = "submitted"
	Processing Status = "processing"
	Assembled  Status = "assembled"
	Signed     Status = "signed"
	Delivered  Status = "delivered"
	Failed     Status = "failed"
)

// dossierMoves is the one table of allowed dossier status moves. Anything
// not listed (backwards, skipping ahead, out of delivered or failed) is
// refused with ErrIllegalMove.
var dossierMoves = map[Status][]Status{
	Created:    {Uploading},
	Uploading:  {Submitted},
	Submitted:  {Processing},
	Processing: {Assembled, Failed},
	Assembled:  {Signed, Failed},
	Signed:     {Delivered, Failed},
}

// PageStatus is what has become of one page.
type PageStatus string

// Page statuses. A page is Uploaded until a stage marks it Processed or
// Failed; a failed page may be Processed by a retry; Processed is final.
const (
	PageUploaded  PageStatus = "uploaded"
	PageProcessed PageStatus = "processed"
	PageFailed    PageStatus = "failed"
)

// pageMoves is the one table of allowed page status moves.
var pageMoves = map[PageStatus][]PageStatus{
	PageUploaded: {PageProcessed, PageFailed},
	PageFailed:   {PageProcessed},
}

func allowed[S comparable](moves map[S][]S, from, to S) bool {
	return slices.Contains(moves[from], to)
}
