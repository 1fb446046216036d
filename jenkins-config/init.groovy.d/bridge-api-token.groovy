// Seeds the bridge's API token for its Jenkins user from the secret file bridge-jenkins-token
// (/run/secrets, "11" + 32 hex digits; never an environment variable, which builds could read), so
// the bridge can call the REST API with basic auth and no crumb. JCasC cannot set API tokens itself
// (configuration-as-code-plugin issue 1830). Runs at every start; replaces the token of the same name.
import hudson.model.User
import jenkins.security.ApiTokenProperty

def userId = System.getenv('BRIDGE_JENKINS_USER') ?: 'jenkins-bridge'
def secrets = new File(System.getenv('SECRETS') ?: '/run/secrets')
def tokenFile = new File(secrets, 'bridge-jenkins-token')
def token = tokenFile.isFile() ? tokenFile.text.trim() : null
def tokenName = 'jenkins-bridge'
if (!token) {
    println("bridge-api-token: no secret file bridge-jenkins-token; no token seeded")
    return
}
def user = User.getById(userId, true)
def property = user.getProperty(ApiTokenProperty.class)
if (property == null) {
    property = new ApiTokenProperty()
    user.addProperty(property)
}
property.tokenStore.tokenListSortedByName.findAll { it.name == tokenName }.each {
    property.tokenStore.revokeToken(it.uuid)
}
property.tokenStore.addFixedNewToken(tokenName, token)
user.save()
println("bridge-api-token: token '${tokenName}' seeded for ${userId}")
