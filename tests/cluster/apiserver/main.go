// Command apiserver runs an embedded etcd and kube-apiserver in one process, for chartsmith's
// end-to-end tests (see ../README.md).
//
// Usage:
//
//	apiserver --etcd-dir=DIR --etcd-client-port=N --etcd-peer-port=N [--sa-key=FILE] -- KUBE-APISERVER-FLAGS...
//
// The flags before "--" belong to this wrapper; everything after it is handed unchanged to
// kube-apiserver, which must be pointed at the embedded etcd with
// --etcd-servers=http://127.0.0.1:N. With --sa-key, an RSA private key is generated at FILE when the
// file does not exist yet (for --service-account-key-file / --service-account-signing-key-file).
//
// etcd listens on loopback only, keeps its data in --etcd-dir and skips fsync (test data is
// throwaway). On SIGTERM/SIGINT kube-apiserver shuts down gracefully, then etcd is stopped.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(run())
}

func run() int {
	ours, theirs := splitArgs(os.Args[1:])
	fs := flag.NewFlagSet("apiserver", flag.ContinueOnError)
	etcdDir := fs.String("etcd-dir", "", "etcd data directory (required)")
	clientPort := fs.Int("etcd-client-port", 0, "etcd client port on 127.0.0.1 (required)")
	peerPort := fs.Int("etcd-peer-port", 0, "etcd peer port on 127.0.0.1 (required)")
	saKey := fs.String("sa-key", "", "generate an RSA service-account key here if the file is missing")
	etcdLog := fs.String("etcd-log-level", "warn", "etcd log level")
	if err := fs.Parse(ours); err != nil {
		return 2
	}
	if *etcdDir == "" || *clientPort == 0 || *peerPort == 0 {
		fmt.Fprintln(os.Stderr, "apiserver: --etcd-dir, --etcd-client-port and --etcd-peer-port are required")
		return 2
	}
	if *saKey != "" {
		if err := ensureRSAKey(*saKey); err != nil {
			fmt.Fprintf(os.Stderr, "apiserver: service-account key: %v\n", err)
			return 1
		}
	}

	etcd, err := startEtcd(*etcdDir, *clientPort, *peerPort, *etcdLog)
	if err != nil {
		fmt.Fprintf(os.Stderr, "apiserver: etcd: %v\n", err)
		return 1
	}
	defer stopEtcd(etcd)

	// kube-apiserver installs its own SIGTERM/SIGINT handler (graceful shutdown, exit on a second
	// signal). Listening as well only keeps Go from killing the process before etcd is closed.
	signal.Notify(make(chan os.Signal, 2), syscall.SIGTERM, syscall.SIGINT)

	done := make(chan int, 1)
	go func() {
		cmd := app.NewAPIServerCommand()
		cmd.SetArgs(theirs)
		done <- cli.Run(cmd)
	}()
	select {
	case code := <-done:
		return code
	case err := <-etcd.Err():
		fmt.Fprintf(os.Stderr, "apiserver: etcd failed: %v\n", err)
		return 1
	}
}

// splitArgs splits at the first "--": before it the wrapper's flags, after it kube-apiserver's.
func splitArgs(args []string) (ours, theirs []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	// Never nil: cobra falls back to os.Args when given nil.
	return args, []string{}
}

func startEtcd(dir string, clientPort, peerPort int, logLevel string) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "chartsmith-test"
	cfg.Dir = dir
	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", clientPort)}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peerPort)}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = logLevel
	cfg.UnsafeNoFsync = true

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("not ready after 60s")
	}
}

func stopEtcd(e *embed.Etcd) {
	stopped := make(chan struct{})
	go func() { e.Close(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "apiserver: etcd did not stop within 10s")
	}
}

func ensureRSAKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
