// Command pulumi-language-nodejs is a small Pulumi language host for Node.js programs, policy packs and
// plugins (TypeScript or JavaScript, CommonJS or ES modules).
//
// Why it exists: the Pulumi CLI is built here from Go modules (github.com/pulumi/pulumi/pkg/v3), but the
// official Node.js language host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not served by the Go module proxy we can reach. This host implements the same gRPC protocol
// (pulumirpc.LanguageRuntimeServer from github.com/pulumi/pulumi/sdk/v3) with just what shadowcast needs:
//
//   - Run starts `node` on @pulumi/pulumi/cmd/run, resolved from the program's directory, which loads the
//     program (ts-node for TypeScript, with ES module hooks when package.json says "type": "module") and
//     talks to the engine's resource monitor directly. The child's output goes to our stdout/stderr, which
//     the engine shows.
//   - RunPlugin starts `node` on @pulumi/pulumi/cmd/run-policy-pack (policy packs) or cmd/run-plugin (other
//     plugins), resolved from the plugin's directory, and streams its output and exit code back.
//   - Dependencies are the project's own business (`npm ci`): InstallDependencies only checks that
//     @pulumi/pulumi resolves, and GetRequiredPackages reports none (the engine finds plugins on PATH).
//
// The engine starts us as `pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDRESS`,
// reads the port we print as the first line of stdout, and then talks gRPC to 127.0.0.1:PORT.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// Entry points inside the @pulumi/pulumi package, resolved with Node's own module resolution.
	runModule           = "@pulumi/pulumi/cmd/run"
	runPluginModule     = "@pulumi/pulumi/cmd/run-plugin"
	runPolicyPackModule = "@pulumi/pulumi/cmd/run-policy-pack"

	// cmd/run exits with this code when the program failed and the error was already reported to the
	// user through the engine; the engine then stops without printing anything more (RunResponse.Bail).
	exitAlreadyReported = 32

	// How long a child gets to exit after an interrupt before it is killed.
	killGrace = 5 * time.Second
)

func main() {
	// Flags the engine passes to every plugin when logging flows to plugins (--logtostderr, -v=N; glog,
	// linked in through our dependencies, may already define them, and logging.InitLogging reads them from
	// the flag set), and tracing.
	if flag.Lookup("logtostderr") == nil {
		flag.Bool("logtostderr", false, "log to stderr")
	}
	if flag.Lookup("v") == nil {
		flag.Int("v", 0, "log verbosity")
	}
	tracing := flag.String("tracing", "", "emit tracing to a Zipkin-compatible endpoint (passed on to node)")

	// Older engines passed the project's runtime options as flags; the options in each request's
	// ProgramInfo take precedence, these are only defaults.
	var defaults runtimeOptions
	flag.BoolVar(&defaults.typescript, "typescript", true, "run TypeScript through ts-node (runtime option)")
	flag.StringVar(&defaults.tsconfig, "tsconfig", "", "path of the tsconfig.json to use (runtime option)")
	flag.StringVar(&defaults.nodeargs, "nodeargs", "", "extra arguments for node (runtime option)")
	flag.StringVar(&defaults.packagemanager, "packagemanager", "", "ignored (runtime option)")
	flag.String("root", "", "ignored: the project root comes with each request")
	flag.Parse()

	logging.InitLogging(false, 0, false)

	host := &nodeHost{
		tracing:  *tracing,
		defaults: defaults,
		children: map[*exec.Cmd]struct{}{},
		stop:     make(chan bool, 1),
	}
	if flag.NArg() > 0 {
		host.setEngine(flag.Arg(0))
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: host.stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}

	// The engine reads this first line of stdout to learn where to connect.
	fmt.Printf("%d\n", handle.Port)

	err = <-handle.Done
	host.killChildren()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// nodeHost implements pulumirpc.LanguageRuntimeServer. Methods it does not implement (code generation,
// packing, linking, templates) answer Unimplemented, which the engine tolerates.
type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	tracing  string         // --tracing, passed on to cmd/run
	defaults runtimeOptions // runtime options given as flags (older engines)

	mu            sync.Mutex
	engineAddress string
	healthOnce    sync.Once
	children      map[*exec.Cmd]struct{} // running node processes, for Cancel and shutdown
	stop          chan bool              // stops the gRPC server when the engine goes away
	stopOnce      sync.Once
}

func (h *nodeHost) setEngine(addr string) {
	h.mu.Lock()
	h.engineAddress = addr
	h.mu.Unlock()

	// Once we know the engine, exit when it stops answering (as the official host does), so that a
	// crashed CLI does not leave us and our node children behind.
	h.healthOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		if err := rpcutil.Healthcheck(ctx, addr, 5*time.Minute, cancel); err != nil {
			cancel()
			logging.V(3).Infof("no health check of the engine at %s: %v", addr, err)
			return
		}
		go func() {
			<-ctx.Done()
			logging.V(3).Infof("engine at %s is gone; shutting down", addr)
			h.shutdown()
		}()
	})
}

func (h *nodeHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// shutdown kills our children and stops the gRPC server, which ends main.
func (h *nodeHost) shutdown() {
	h.killChildren()
	h.stopOnce.Do(func() { h.stop <- true })
}

func (h *nodeHost) track(cmd *exec.Cmd) {
	h.mu.Lock()
	h.children[cmd] = struct{}{}
	h.mu.Unlock()
}

func (h *nodeHost) untrack(cmd *exec.Cmd) {
	h.mu.Lock()
	delete(h.children, cmd)
	h.mu.Unlock()
}

// killChildren interrupts every running node child, and kills those still running after killGrace.
func (h *nodeHost) killChildren() {
	h.mu.Lock()
	var procs []*os.Process
	for cmd := range h.children {
		if cmd.Process != nil {
			procs = append(procs, cmd.Process)
		}
	}
	h.mu.Unlock()

	for _, p := range procs {
		_ = p.Signal(os.Interrupt)
	}
	deadline := time.Now().Add(killGrace)
	for _, p := range procs {
		for time.Now().Before(deadline) && p.Signal(syscall.Signal(0)) == nil {
			time.Sleep(50 * time.Millisecond)
		}
		_ = p.Kill()
	}
}

// Handshake records the engine's address (the positional argument may be missing when the engine attaches
// to an already running host).
func (h *nodeHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.setEngine(req.GetEngineAddress())
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the version of the Pulumi SDK this host is built against.
func (h *nodeHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion()}, nil
}

func hostVersion() string {
	if version.Version != "" { // set with -ldflags -X at build time
		return version.Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/pulumi/pulumi/sdk/v3" {
				return dep.Version
			}
		}
	}
	return ""
}

// GetRequiredPlugins reports no plugins: the engine finds providers on PATH (or installs them) when the
// program registers its first resource of a package.
func (h *nodeHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages reports no packages, for the same reason as GetRequiredPlugins.
func (h *nodeHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// RuntimeOptionsPrompts asks nothing: `pulumi new` is not how shadowcast projects are made.
func (h *nodeHost) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// About reports the node executable and its version.
func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("could not run %s --version: %w", node, err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// GetProgramDependencies lists the direct dependencies in the program's package.json, with the versions
// installed in node_modules (or the declared range when a package is not installed).
func (h *nodeHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDirectory(req.GetInfo(), "")
	manifest, err := findUp(dir, "package.json")
	if err != nil {
		return &pulumirpc.GetProgramDependenciesResponse{}, nil
	}
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("could not parse %s: %w", manifest, err)
	}
	var deps []*pulumirpc.DependencyInfo
	for _, set := range []map[string]string{pkg.Dependencies, pkg.DevDependencies} {
		for name, declared := range set {
			v := declared
			if installed, err := installedVersion(filepath.Dir(manifest), name); err == nil {
				v = installed
			}
			deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: v})
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// installedVersion reads the version of package name from the node_modules directories above dir.
func installedVersion(dir, name string) (string, error) {
	manifest, err := findUp(dir, filepath.Join("node_modules", filepath.FromSlash(name), "package.json"))
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		return "", err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil || pkg.Version == "" {
		return "", fmt.Errorf("no version in %s", manifest)
	}
	return pkg.Version, nil
}

// findUp returns the first dir/rel, dir/../rel, ... that exists.
func findUp(dir, rel string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, rel)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", os.ErrNotExist
		}
	}
}

// InstallDependencies installs nothing: a Node.js project here brings its own node_modules (`npm ci`).
// It succeeds when @pulumi/pulumi resolves from the program's directory and fails clearly otherwise.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := programDirectory(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck // Directory: older engines
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on PATH: %w", err)
	}
	pkg, err := resolveModule(server.Context(), node, dir, "@pulumi/pulumi/package.json", nil)
	if err != nil {
		return fmt.Errorf("@pulumi/pulumi is not installed for %s: run `npm ci` (or `npm install`) there: %w", dir, err)
	}
	msg := fmt.Sprintf("Dependencies are installed with the project's own `npm ci`; using @pulumi/pulumi from %s\n",
		filepath.Dir(pkg))
	return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

// Cancel interrupts the running node children (then kills them if they linger).
func (h *nodeHost) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.killChildren()
	return &emptypb.Empty{}, nil
}

// Run runs a Pulumi program: `node [nodeargs] @pulumi/pulumi/cmd/run --monitor ... ENTRY [args]`, with the
// stack's configuration and the runtime options in the environment cmd/run reads.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDirectory(info, req.GetPwd())
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram() //nolint:staticcheck // older engines only set Program
	}
	if entry == "" {
		entry = "." // the program directory: package.json's main, exports or index.*
	}

	opts, err := parseOptions(info, h.defaults)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeArgs, err := splitArgs(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("runtime option nodeargs: %v", err)}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on PATH: " + err.Error()}, nil
	}

	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH") // as the official host: a test override
	if runPath == "" {
		if runPath, err = resolveModule(ctx, node, dir, runModule, nil); err != nil {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf(
				"could not find %s from %s; is @pulumi/pulumi installed (npm ci)? %v", runModule, dir, err)}, nil
		}
	}

	args := append(nodeArgs, runPath)
	addFlag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	addFlag("monitor", req.GetMonitorAddress())
	addFlag("engine", h.engine())
	addFlag("organization", req.GetOrganization())
	addFlag("project", req.GetProject())
	addFlag("stack", req.GetStack())
	addFlag("root-directory", info.GetRootDirectory())
	addFlag("pwd", dir)
	addFlag("parallel", strconv.Itoa(int(req.GetParallel())))
	addFlag("tracing", h.tracing)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(orEmpty(req.GetConfig()))
	if err != nil {
		return nil, fmt.Errorf("could not serialize the configuration: %w", err)
	}
	secretKeys, err := json.Marshal(orEmptySlice(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, fmt.Errorf("could not serialize the secret configuration keys: %w", err)
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	env = append(env, opts.env(dir, info.GetRootDirectory())...)

	if req.GetAttachDebugger() {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs: attaching a debugger is not supported; running normally")
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = env
	// Wrapped so that node gets pipes, not our own file descriptors: node may switch its stdio to
	// non-blocking mode, which would break our writes to the same descriptors.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = killGrace
	logging.V(5).Infof("running program: %s %s", node, strings.Join(args, " "))

	err = h.runChild(cmd)
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := exitErr.ExitCode()
		if code == exitAlreadyReported {
			return &pulumirpc.RunResponse{Error: "the program failed; its error was reported above", Bail: true}, nil
		}
		if code < 0 {
			return &pulumirpc.RunResponse{Error: "Program exited unexpectedly: " + exitErr.Error()}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run %s: %v", node, err)}, nil
}

// runChild starts cmd, tracks it for Cancel and shutdown while it runs, and waits for it.
func (h *nodeHost) runChild(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	h.track(cmd)
	defer h.untrack(cmd)
	return cmd.Wait()
}

// RunPlugin runs a plugin written in Node.js: a policy pack (kind "analyzer") through
// @pulumi/pulumi/cmd/run-policy-pack, anything else through cmd/run-plugin, both resolved from the plugin's
// directory. The plugin prints its gRPC port on stdout, which we stream back with its stderr; the last
// message is its exit code.
func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	info := req.GetInfo()
	dir := programDirectory(info, req.GetPwd())

	opts, err := parseOptions(info, h.defaults)
	if err != nil {
		return err
	}
	nodeArgs, err := splitArgs(opts.nodeargs)
	if err != nil {
		return fmt.Errorf("runtime option nodeargs: %w", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on PATH: %w", err)
	}

	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	env = append(env, opts.env(dir, info.GetRootDirectory())...)

	policyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := runPluginModule
	if policyPack {
		module = runPolicyPackModule
	}
	runPath, err := resolveModule(ctx, node, dir, module, env)
	if err != nil {
		return fmt.Errorf("could not find %s from %s; is @pulumi/pulumi installed there (npm ci)? %w",
			module, dir, err)
	}

	args := append(nodeArgs, runPath)
	if policyPack {
		// run-policy-pack takes `ENGINE_ADDRESS DIR` and parses flags itself; the engine's address is the
		// last of the arguments the engine gives (logging and tracing flags come first).
		engine := h.engine()
		if n := len(req.GetArgs()); n > 0 {
			engine = req.GetArgs()[n-1]
		}
		args = append(args, engine, dir)
	} else {
		// run-plugin takes `DIR [ARGS...]`; "--" keeps its flag parser off the plugin's own arguments.
		args = append(args, dir, "--")
		args = append(args, req.GetArgs()...)
	}

	cmd := exec.CommandContext(ctx, node, args...)
	// Policy packs run in their own directory (their relative paths are theirs); other plugins in the
	// engine's working directory, as the engine asks.
	cmd.Dir = req.GetPwd()
	if policyPack || cmd.Dir == "" {
		cmd.Dir = dir
	}
	cmd.Env = env
	streams := &pluginStreams{server: server}
	cmd.Stdout = streams.writer(false)
	cmd.Stderr = streams.writer(true)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = killGrace
	logging.V(5).Infof("running plugin: %s %s (in %s)", node, strings.Join(args, " "), cmd.Dir)

	err = h.runChild(cmd)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return streams.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: 0}})
	case errors.As(err, &exitErr):
		if ctx.Err() != nil { // the engine closed the plugin: nobody is listening any more
			return ctx.Err()
		}
		return streams.send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
		})
	default:
		return fmt.Errorf("could not run %s: %w", node, err)
	}
}

// pluginStreams sends a plugin's stdout and stderr to the engine. gRPC streams allow one sender at a time,
// and the two outputs are copied by two goroutines, hence the lock.
type pluginStreams struct {
	mu     sync.Mutex
	server pulumirpc.LanguageRuntime_RunPluginServer
}

func (s *pluginStreams) send(msg *pulumirpc.RunPluginResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.server.Send(msg)
}

func (s *pluginStreams) writer(stderr bool) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		b := append([]byte(nil), p...)
		msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
		if stderr {
			msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
		}
		if err := s.send(msg); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// runtimeOptions are the `runtime.options` of Pulumi.yaml (or PulumiPolicy.yaml / PulumiPlugin.yaml) that
// matter to running Node.js.
type runtimeOptions struct {
	typescript     bool   // typescript: run .ts through ts-node (default true, as upstream)
	tsconfig       string // tsconfig: the tsconfig.json ts-node uses
	nodeargs       string // nodeargs: extra arguments for node, shell-quoted
	packagemanager string // packagemanager: unused, dependencies are installed by the project
}

// parseOptions reads the options from the request's ProgramInfo, over the defaults given as flags.
func parseOptions(info *pulumirpc.ProgramInfo, defaults runtimeOptions) (runtimeOptions, error) {
	opts := defaults
	raw := info.GetOptions().AsMap()
	if v, ok := raw["typescript"]; ok {
		b, err := asBool(v)
		if err != nil {
			return opts, fmt.Errorf("runtime option typescript: %w", err)
		}
		opts.typescript = b
	}
	for key, dst := range map[string]*string{
		"tsconfig": &opts.tsconfig, "nodeargs": &opts.nodeargs, "packagemanager": &opts.packagemanager,
	} {
		if v, ok := raw[key]; ok {
			s, isString := v.(string)
			if !isString {
				return opts, fmt.Errorf("runtime option %s: expected a string, got %v", key, v)
			}
			*dst = s
		}
	}
	return opts, nil
}

func asBool(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return strconv.ParseBool(b)
	default:
		return false, fmt.Errorf("expected a boolean, got %v", v)
	}
}

// env returns the environment variables through which cmd/run (and run-plugin) take the options. cmd/run
// looks for the tsconfig relative to the program directory; a relative path that is not there is taken
// relative to the project root (where Pulumi.yaml is), and made absolute.
func (o runtimeOptions) env(programDir, rootDir string) []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if ts := o.tsconfig; ts != "" {
		if !filepath.IsAbs(ts) && rootDir != "" {
			if _, err := os.Stat(filepath.Join(programDir, ts)); err != nil {
				if _, err := os.Stat(filepath.Join(rootDir, ts)); err == nil {
					ts = filepath.Join(rootDir, ts)
				}
			}
		}
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+ts)
	}
	return env
}

// programDirectory is the request's program directory, or fallback (older engines) when it has none.
func programDirectory(info *pulumirpc.ProgramInfo, fallback string) string {
	if d := info.GetProgramDirectory(); d != "" {
		return d
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

// resolveModule asks node where `require(module)` would load from when required in dir (node_modules above
// dir, then NODE_PATH), so that we run the @pulumi/pulumi the program itself uses.
func resolveModule(ctx context.Context, node, dir, module string, env []string) (string, error) {
	const script = `process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))`
	cmd := exec.CommandContext(ctx, node, "-e", script, module, dir)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// Node's message ("Cannot find module '...'") is the useful first line.
		first := strings.TrimSpace(stderr.String())
		for _, line := range strings.Split(first, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "Error:") {
				first = strings.TrimSpace(line)
				break
			}
		}
		if first == "" {
			first = err.Error()
		}
		return "", errors.New(first)
	}
	return strings.TrimSpace(string(out)), nil
}

// splitArgs splits a shell-like argument string: whitespace separates arguments, single quotes keep text
// literally, double quotes keep whitespace, and a backslash escapes the next character (outside single
// quotes).
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg, quote := false, rune(0)
	r := bufio.NewReader(strings.NewReader(s))
	for {
		c, _, err := r.ReadRune()
		if err == io.EOF {
			break
		}
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\\':
			next, _, err := r.ReadRune()
			if err == io.EOF {
				return nil, fmt.Errorf("trailing backslash in %q", s)
			}
			cur.WriteRune(next)
			inArg = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inArg = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(c)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptySlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
