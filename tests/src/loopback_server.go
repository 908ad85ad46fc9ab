// A private code host on 127.0.0.1 for the tests: HTTPS with a test CA made
// at start, HTTP basic authentication, `git http-backend` under /git/ and a
// Go module proxy (a folder in the GOPROXY layout) under /proxy/.
//
// It writes into -dir: ca.pem (the CA that signed its certificate), then
// port (the port it listens on, once it does), and logs each request to
// requests.log as "METHOD PATH USER STATUS". A request whose path contains
// -hang waits until the client goes away, after creating hang-hit: for
// tests that stop a build in the middle of a download.
//
// Built by the tests with the Go they run (standard library only).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

func main() {
	dir := flag.String("dir", "", "where ca.pem, port and requests.log go")
	gitRoot := flag.String("git", "", "bare repositories served under /git/")
	proxyRoot := flag.String("proxy", "", "a module proxy folder served under /proxy/")
	auth := flag.String("auth", "", "user:password pairs accepted, comma-separated (none: no authentication)")
	hang := flag.String("hang", "", "requests whose path contains this wait until the client goes away")
	plain := flag.Bool("plain", false, "plain HTTP instead of HTTPS")
	flag.Parse()

	cert, caPEM := makeCertificates()
	must(os.WriteFile(filepath.Join(*dir, "ca.pem"), caPEM, 0o644))
	logFile, err := os.OpenFile(filepath.Join(*dir, "requests.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	must(err)
	var logMu sync.Mutex

	mux := http.NewServeMux()
	if *gitRoot != "" {
		git, err := gitBinary()
		must(err)
		mux.Handle("/git/", &cgi.Handler{
			Path: git,
			Args: []string{"http-backend"},
			Root: "/git",
			Env:  []string{"GIT_PROJECT_ROOT=" + *gitRoot, "GIT_HTTP_EXPORT_ALL=1"},
		})
	}
	if *proxyRoot != "" {
		mux.Handle("/proxy/", http.StripPrefix("/proxy", http.FileServer(http.Dir(*proxyRoot))))
	}
	accepted := map[string]bool{}
	for _, pair := range strings.Split(*auth, ",") {
		if pair != "" {
			accepted[pair] = true
		}
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, given := r.BasicAuth()
		status := 0
		record := func() {
			logMu.Lock()
			defer logMu.Unlock()
			shown := "-"
			if given {
				shown = user
			}
			fmt.Fprintf(logFile, "%s %s %s %d\n", r.Method, r.URL.Path, shown, status)
		}
		if len(accepted) > 0 && !(given && accepted[user+":"+password]) {
			status = http.StatusUnauthorized
			record()
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "unauthorized", status)
			return
		}
		if *hang != "" && strings.Contains(r.URL.Path, *hang) {
			status = -1
			record()
			must(os.WriteFile(filepath.Join(*dir, "hang-hit"), nil, 0o644))
			<-r.Context().Done()
			return
		}
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(recorder, r)
		status = recorder.status
		record()
	})

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	if !*plain {
		listener = tls.NewListener(listener, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	port := listener.Addr().(*net.TCPAddr).Port
	tmp := filepath.Join(*dir, "port.tmp")
	must(os.WriteFile(tmp, []byte(fmt.Sprint(port)), 0o644))
	must(os.Rename(tmp, filepath.Join(*dir, "port")))
	server := &http.Server{Handler: handler, ErrorLog: log.New(logFile, "server: ", 0)}
	must(server.Serve(listener))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// gitBinary is the git that has http-backend (git's exec path).
func gitBinary() (string, error) {
	return exec("git")
}

func exec(name string) (string, error) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		path := filepath.Join(dir, name)
		if info, err := os.Stat(path); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH", name)
}

// makeCertificates makes a CA and a certificate for 127.0.0.1 signed by
// it: the server's certificate, and the CA's in PEM.
func makeCertificates() (tls.Certificate, []byte) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "s2i-go test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	must(err)
	ca, err := x509.ParseCertificate(caDER)
	must(err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	must(err)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
