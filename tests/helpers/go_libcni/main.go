// Command go_libcni drives the real Go libcni (github.com/containernetworking/cni/libcni) for
// the side-by-side chain tests: ADD, CHECK or DEL of one conflist file.
//
// Usage:
//
//	go_libcni -cmd add|check|del -conflist FILE -netns PATH -cid ID -ifname IF \
//	    -path DIR[:DIR...] -cache DIR [-cap-args JSON]
//
// ADD prints the result JSON (as libcni returns it, in the list's version) on stdout. Any
// failure prints {"code":N,"msg":"<the whole error text>"} on stdout and exits 1: N is the
// code of the CNI error inside (libcni wraps plugin errors), 0 when there is none.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func fail(err error) {
	out := map[string]interface{}{"code": 0, "msg": err.Error()}
	var e *types.Error
	if errors.As(err, &e) {
		out["code"] = e.Code
		if e.Details != "" {
			out["details"] = e.Details
		}
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	os.Exit(1)
}

func main() {
	cmd := flag.String("cmd", "", "add, check or del")
	conflist := flag.String("conflist", "", "conflist file")
	netns := flag.String("netns", "", "netns path")
	cid := flag.String("cid", "", "container id")
	ifname := flag.String("ifname", "eth0", "interface name")
	path := flag.String("path", "", "CNI_PATH directories, colon-separated")
	cache := flag.String("cache", "", "cache directory")
	capArgs := flag.String("cap-args", "", "capability arguments (JSON object)")
	flag.Parse()

	list, err := libcni.ConfListFromFile(*conflist)
	if err != nil {
		fail(err)
	}
	rt := &libcni.RuntimeConf{
		ContainerID: *cid,
		NetNS:       *netns,
		IfName:      *ifname,
		CacheDir:    *cache,
	}
	if *capArgs != "" {
		if err := json.Unmarshal([]byte(*capArgs), &rt.CapabilityArgs); err != nil {
			fail(fmt.Errorf("bad -cap-args: %v", err))
		}
	}
	dirs := filepath.SplitList(*path)
	cni := libcni.NewCNIConfigWithCacheDir(dirs, *cache, nil)
	ctx := context.Background()
	switch strings.ToLower(*cmd) {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail(err)
		}
		if err := res.Print(); err != nil {
			fail(err)
		}
	case "check":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
	case "del":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown -cmd %q", *cmd))
	}
}
