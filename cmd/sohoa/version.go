package main

import (
	"fmt"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
)

func version() error {
	fmt.Printf("sohoa %s\ntesseract %s\n", pipeline.Version(), ocr.TesseractVersion())
	files, err := ocr.ModelFiles(pipeline.DefaultLang)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Printf("model %s\n", f)
	}
	return nil
}
