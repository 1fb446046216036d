// Command etcd is the etcd server, built from the etcd release pinned in go.mod
// (the upstream main package lives in a module that cannot be required).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
