// docker-compose only: writes the inbound secret of the static agent to the volume the "agent" service
// reads it from (/run/agent-secret/static-agent). Jenkins derives the secret from the node name and the
// controller's own key, so it can only be read from the controller. Nothing happens without that node.
import jenkins.model.Jenkins

def computer = Jenkins.get().getComputer('static-agent')
def dir = new File('/run/agent-secret')
if (computer == null || !dir.isDirectory()) {
    return
}
def file = new File(dir, 'static-agent')
file.text = computer.jnlpMac
println("static-agent-secret: secret written for static-agent")
