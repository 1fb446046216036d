// Seeds the bridge's API token for its Jenkins user from BRIDGE_JENKINS_TOKEN ("11" + 32 hex digits), so
// the bridge can call the REST API with basic auth and no crumb. JCasC cannot set API tokens itself
// (configuration-as-code-plugin issue 1830). Runs at every start; replaces the token of the same name.
import hudson.model.User
import jenkins.security.ApiTokenProperty

def userId = System.getenv('BRIDGE_JENKINS_USER') ?: 'jenkins-bridge'
def token = System.getenv('BRIDGE_JENKINS_TOKEN')
def tokenName = 'jenkins-bridge'
if (!token) {
    println("bridge-api-token: BRIDGE_JENKINS_TOKEN is not set; no token seeded")
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
