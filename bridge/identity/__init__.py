"""Who is calling, and what they may do.

``principal`` holds the identity values, ``tokens`` the API-token format and hashing, ``authenticators``
the three ways a request proves who it is, ``roles`` and ``policy`` the one place that decides what an
identity may do, and ``attribution`` the value handed to the Jenkins adapter so runs and approvals can
name the real user.
"""
