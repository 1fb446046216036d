// docker-compose only. The static agent is one machine with every tool on its PATH and no pod
// containers, where the kubernetes plugin's container step stops a build with "Node is not a
// Kubernetes node". This global variable takes the step's name (a library's globals are looked up
// before steps), so Jenkinsfiles written for pod templates -- container('maven') { sh 'mvn ...' } --
// run their block on the static agent unchanged. Never load it where a Kubernetes cloud runs builds.
def call(String name, Closure body) {
    echo "container('${name}'): no pod on this agent; running the block on it"
    return body()
}
