// kubeconfigFile(credentialsId: 'id', variable: 'KUBECONFIG') for Jenkinsfiles written for the suspended
// kubernetes-cd plugin: the same binding, made from the standard `file` binding of credentials-binding.
// The credential is a "Secret file" holding the kubeconfig (what jenkins-bridge stores by default), and
// the variable names the temporary copy withCredentials writes, deleted when the block ends.
def call(Map args) {
    return file(credentialsId: args.credentialsId, variable: args.variable ?: 'KUBECONFIG')
}
