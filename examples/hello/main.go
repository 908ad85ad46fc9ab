// hello: the example app bundled with s2i-go. It serves a greeting over
// HTTP on $PORT (default 8080). With --once it prints the greeting and
// exits, which is what `cargo xtask example` runs.
//
// The greeting comes from templates/greeting.txt, read by a relative path
// at run time: s2i-assemble installs the application's non-Go files in
// $APP_ROOT/src, the working directory s2i-run starts it in.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"strings"
	"text/template"
)

func greeting() (string, error) {
	page, err := template.ParseFiles("templates/greeting.txt")
	if err != nil {
		return "", err
	}
	var out strings.Builder
	err = page.Execute(&out, map[string]string{"Go": runtime.Version()})
	return out.String(), err
}

func main() {
	once := flag.Bool("once", false, "print the greeting and exit")
	flag.Parse()

	text, err := greeting()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
	if *once {
		fmt.Print(text)
		return
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, text)
	})
	log.Printf("hello: listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
