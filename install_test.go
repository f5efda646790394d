package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// The values the release build links in (.goreleaser.yaml, .ko.yaml), and
// that the fake release's binary is built with.
const (
	fakeVersion = "v9.8.7"
	fakeCommit  = "0123456789abcdef0123456789abcdef01234567"
	fakeDate    = "2026-01-02T03:04:05Z"
)

// fakeRelease is a release of imhook served on 127.0.0.1 the way GitHub
// serves one: <base>/<tag>/<file>.
type fakeRelease struct {
	files map[string][]byte // by "tag/file"
	hits  atomic.Int32
	url   string
}

func (r *fakeRelease) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.hits.Add(1)
	b, ok := r.files[strings.TrimPrefix(req.URL.Path, "/download/")]
	if !ok {
		http.NotFound(w, req)
		return
	}
	_, _ = w.Write(b)
}

// buildLinked builds imhook with the release's ldflags into dir.
func buildLinked(t *testing.T, dir string) string {
	t.Helper()
	exe := filepath.Join(dir, "imhook")
	ld := fmt.Sprintf("-X github.com/imhook/imhook/cmd.Version=%s -X github.com/imhook/imhook/cmd.Commit=%s -X github.com/imhook/imhook/cmd.Date=%s",
		fakeVersion, fakeCommit, fakeDate)
	c := exec.Command("go", "build", "-o", exe, "-ldflags", ld, ".")
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// tarGz is a gzipped tar of one executable named name, as goreleaser packs it.
func tarGz(t *testing.T, name string, exe []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		mode int64
		body []byte
	}{{"README.md", 0o644, []byte("# imhook\n")}, {name, 0o755, exe}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// needTools skips the test where the install script cannot run.
func needTools(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the install script runs under sh; its Windows path is run by the action on a Windows runner")
	}
	for _, alts := range [][]string{{"sh"}, {"uname"}, {"tar"}, {"go"}, {"curl", "wget"}, {"sha256sum", "shasum", "openssl"}} {
		found := false
		for _, a := range alts {
			if _, err := exec.LookPath(a); err == nil {
				found = true
				break
			}
		}
		if !found {
			t.Skipf("%s is not installed: the install script cannot run here", strings.Join(alts, " or "))
		}
	}
}

// fakeUname writes a uname into a new directory that answers -s with sys and
// -m with machine, for runInstall's pathDir.
func fakeUname(t *testing.T, sys, machine string) string {
	t.Helper()
	dir := t.TempDir()
	uname := fmt.Sprintf("#!/bin/sh\ncase $1 in -s) echo %s ;; -m) echo %s ;; *) exit 1 ;; esac\n", sys, machine)
	if err := os.WriteFile(filepath.Join(dir, "uname"), []byte(uname), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// zipOf is a zip of one executable named name, stored, as goreleaser packs
// Windows builds.
func zipOf(t *testing.T, name string, exe []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Store}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(exe)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type installRun struct {
	code           int
	stdout, stderr string
}

func (r installRun) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runInstall runs scripts/install.sh with args against rel, with the
// environment's IMHOOK_ variables set to env's, and PATH led by pathDir when
// it is not empty.
func runInstall(t *testing.T, rel *fakeRelease, home, pathDir string, env map[string]string, args ...string) installRun {
	t.Helper()
	c := exec.Command("sh", append([]string{"scripts/install.sh"}, args...)...)
	path := os.Getenv("PATH")
	if pathDir != "" {
		path = pathDir + string(os.PathListSeparator) + path
	}
	c.Env = []string{"PATH=" + path, "HOME=" + home, "IMHOOK_BASE_URL=" + rel.url + "/download"}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return installRun{code, out.String(), errOut.String()}
}

// TestInstallScript runs scripts/install.sh, the installer of the README and
// action.yml, against a release served on 127.0.0.1: an archive of imhook
// built with the release's ldflags and a checksums file, built here.
func TestInstallScript(t *testing.T) {
	needTools(t)
	tmp := t.TempDir()
	exe, err := os.ReadFile(buildLinked(t, tmp))
	if err != nil {
		t.Fatal(err)
	}
	number := strings.TrimPrefix(fakeVersion, "v")
	archive := fmt.Sprintf("imhook_%s_%s_%s.tar.gz", number, runtime.GOOS, runtime.GOARCH)
	sums := "imhook_" + number + "_checksums.txt"
	good := tarGz(t, "imhook", exe)
	other := tarGz(t, "imhook", []byte("#!/bin/sh\necho not imhook\n"))
	sumsFile := func(hash string) []byte {
		return []byte(sha256hex(other) + "  imhook_" + number + "_plan9_amd64.tar.gz\n" + hash + "  " + archive + "\n")
	}
	// Other platforms' archives hold this machine's binary, so that the
	// script runs it as it would the platform's.
	win := zipOf(t, "imhook.exe", exe)
	others := map[string][]byte{"darwin_arm64.tar.gz": good, "linux_arm64.tar.gz": good, "windows_amd64.zip": win}
	sumsAll := sumsFile(sha256hex(good))
	for p, b := range others {
		sumsAll = append(sumsAll, sha256hex(b)+"  imhook_"+number+"_"+p+"\n"...)
	}
	rel := &fakeRelease{files: map[string][]byte{
		fakeVersion + "/" + archive: good,
		fakeVersion + "/" + sums:    sumsAll,
		// v1.0.0: the checksums file gives the hash of another archive.
		"v1.0.0/imhook_1.0.0_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz": good,
		"v1.0.0/imhook_1.0.0_checksums.txt":                                      []byte(strings.ReplaceAll(string(sumsFile(sha256hex(other))), number, "1.0.0")),
		// v1.1.0: the checksums file has no line for the archive.
		"v1.1.0/imhook_1.1.0_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz": good,
		"v1.1.0/imhook_1.1.0_checksums.txt":                                      []byte(sha256hex(good) + "  imhook_1.1.0_plan9_amd64.tar.gz\n"),
	}}
	for p, b := range others {
		rel.files[fakeVersion+"/imhook_"+number+"_"+p] = b
	}
	srv := httptest.NewServer(rel)
	defer srv.Close()
	rel.url = srv.URL

	t.Run("installs and runs", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "bin")
		r := runInstall(t, rel, tmp, "", map[string]string{"IMHOOK_VERSION": fakeVersion, "IMHOOK_INSTALL_DIR": bin})
		want := fmt.Sprintf("imhook %s (commit %s, %s, ", fakeVersion, fakeCommit[:12], fakeDate)
		if r.code != 0 || !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stderr, "installed "+filepath.Join(bin, "imhook")) ||
			!strings.Contains(r.stderr, sha256hex(good)) {
			t.Fatalf("want exit 0, %q... on stdout and the installed path and hash on stderr\n%s", want, r)
		}
		// The linked values, exactly, as -o json gives them.
		out, err := exec.Command(filepath.Join(bin, "imhook"), "version", "-o", "json").Output()
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil || v["version"] != fakeVersion || v["commit"] != fakeCommit || v["date"] != fakeDate {
			t.Errorf("version -o json: %s (%v)", out, err)
		}
		// Again, over the installed binary, with the flag and the version
		// given without its v.
		r = runInstall(t, rel, tmp, "", nil, "-b", bin, number)
		if r.code != 0 || !strings.HasPrefix(r.stdout, want) {
			t.Errorf("reinstall with -b DIR %s: %s", number, r)
		}
	})

	// uname's names for the released platforms, each to its archive.
	for _, p := range []struct{ os, arch, archive, exe string }{
		{"Darwin", "arm64", "darwin_arm64.tar.gz", "imhook"},
		{"Linux", "aarch64", "linux_arm64.tar.gz", "imhook"},
		{"MINGW64_NT-10.0-19045", "x86_64", "windows_amd64.zip", "imhook.exe"},
	} {
		t.Run(p.os+" "+p.arch, func(t *testing.T) {
			if _, err := exec.LookPath("unzip"); err != nil && strings.HasSuffix(p.archive, ".zip") {
				t.Skip("unzip is not installed: the script unpacks a zip with it (or with a tar that reads zip)")
			}
			bin := filepath.Join(t.TempDir(), "bin")
			r := runInstall(t, rel, tmp, fakeUname(t, p.os, p.arch), map[string]string{"IMHOOK_INSTALL_DIR": bin}, fakeVersion)
			want := "installed " + filepath.Join(bin, p.exe) + " (imhook_" + number + "_" + p.archive + ", sha256 " + sha256hex(others[p.archive]) + ")"
			if r.code != 0 || !strings.Contains(r.stderr, want) || !strings.HasPrefix(r.stdout, "imhook "+fakeVersion+" ") {
				t.Errorf("want exit 0 and %q\n%s", want, r)
			}
		})
	}

	t.Run("checksum mismatch", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "bin")
		r := runInstall(t, rel, tmp, "", map[string]string{"IMHOOK_INSTALL_DIR": bin}, "v1.0.0")
		name := "imhook_1.0.0_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"
		want := fmt.Sprintf("checksum mismatch for %s: imhook_1.0.0_checksums.txt says %s, the download is %s; refusing to install", name, sha256hex(other), sha256hex(good))
		if r.code != 1 || !strings.Contains(r.stderr, want) || r.stdout != "" {
			t.Errorf("want exit 1 and %q\n%s", want, r)
		}
		if _, err := os.Stat(bin); !os.IsNotExist(err) {
			t.Errorf("a refused download left %s behind (%v)", bin, err)
		}
	})

	t.Run("no checksum line", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "bin")
		r := runInstall(t, rel, tmp, "", map[string]string{"IMHOOK_INSTALL_DIR": bin}, "v1.1.0")
		if r.code != 1 || !strings.Contains(r.stderr, "imhook_1.1.0_checksums.txt has no line for imhook_1.1.0_") {
			t.Errorf("want exit 1 and the missing line named\n%s", r)
		}
		if _, err := os.Stat(bin); !os.IsNotExist(err) {
			t.Errorf("an unverified download left %s behind (%v)", bin, err)
		}
	})

	t.Run("no such release", func(t *testing.T) {
		r := runInstall(t, rel, tmp, "", map[string]string{"IMHOOK_INSTALL_DIR": t.TempDir()}, "v0.0.1")
		if r.code != 1 || !strings.Contains(r.stderr, "could not download "+rel.url+"/download/v0.0.1/imhook_0.0.1_checksums.txt: is v0.0.1 a release of imhook") {
			t.Errorf("want exit 1 and the URL named\n%s", r)
		}
	})

	t.Run("bad version", func(t *testing.T) {
		r := runInstall(t, rel, tmp, "", nil, "latest")
		if r.code != 2 || !strings.Contains(r.stderr, `version must look like v0.1.0, not "latest"`) {
			t.Errorf("want exit 2 and the version named\n%s", r)
		}
	})

	// A platform without a release is said before anything is downloaded.
	for _, p := range []struct{ os, arch, want string }{
		{"Linux", "riscv64", `no imhook release for the architecture "riscv64" (releases are built for amd64 and arm64); build from source instead: go install github.com/imhook/imhook@v9.8.7`},
		{"Plan9", "x86_64", `no imhook release for the operating system "Plan9"`},
	} {
		t.Run("unknown "+p.os+" "+p.arch, func(t *testing.T) {
			fake := fakeUname(t, p.os, p.arch)
			before := rel.hits.Load()
			r := runInstall(t, rel, tmp, fake, map[string]string{"IMHOOK_INSTALL_DIR": t.TempDir(), "IMHOOK_VERSION": fakeVersion})
			if r.code != 1 || !strings.Contains(r.stderr, p.want) {
				t.Errorf("want exit 1 and %q\n%s", p.want, r)
			}
			if n := rel.hits.Load() - before; n != 0 {
				t.Errorf("%d request(s) for a platform without a release", n)
			}
		})
	}
}

// TestReleaseConfigsMatchInstaller holds .goreleaser.yaml and .ko.yaml to
// what scripts/install.sh downloads and cmd/version.go reads: the archives'
// and checksums file's names, and the linked variables.
func TestReleaseConfigsMatchInstaller(t *testing.T) {
	t.Parallel()
	link := []string{"-X github.com/imhook/imhook/cmd.Version=", "-X github.com/imhook/imhook/cmd.Commit=", "-X github.com/imhook/imhook/cmd.Date="}
	for file, want := range map[string][]string{
		".goreleaser.yaml": append([]string{
			`name_template: "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}"`,
			`name_template: "{{ .ProjectName }}_{{ .Version }}_checksums.txt"`,
			"project_name: imhook\n", "binary: imhook\n", "algorithm: sha256\n", "- CGO_ENABLED=0\n", "- -trimpath\n",
		}, link...),
		".ko.yaml":           append([]string{"- CGO_ENABLED=0\n", "- -trimpath\n"}, link...),
		"scripts/install.sh": {"archive=imhook_${number}_${os}_${arch}.$ext\n", "sums=imhook_${number}_checksums.txt\n"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s does not say %q", file, w)
			}
		}
	}
	// One pinned release: the installer's default is the action's and the
	// README's.
	sh, _ := os.ReadFile("scripts/install.sh")
	m := regexp.MustCompile(`IMHOOK_VERSION:-(v[0-9]+\.[0-9]+\.[0-9]+)\}`).FindSubmatch(sh)
	if m == nil {
		t.Fatal("scripts/install.sh: no default version (version=${IMHOOK_VERSION:-vX.Y.Z})")
	}
	pinned := string(m[1])
	for file, want := range map[string]string{
		"action.yml": "    default: " + pinned + "\n",
		"README.md":  "uses: imhook/imhook@" + pinned + "\n",
	} {
		if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s does not pin %s, the installer's default: %q missing (%v)", file, pinned, want, err)
		}
	}
}
