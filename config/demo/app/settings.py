"""Demo service settings for Flightdeck's built-in secrets scan.

FAKE CREDENTIAL: the AWS-style key id below is invented for the demo. It is not
a real key, belongs to no account and grants nothing. It is planted so that
`flightdeck scan secrets config/demo/app` has something to find.
"""

API_BASE_URL = "https://api.example.com"
REGION = "eu-west-1"

# Fake, see the module docstring.
AWS_ACCESS_KEY_ID = "AKIAFLIGHTDECK7FAKE2"

# A reference, not a value: never reported.
AWS_SECRET_ACCESS_KEY = "${AWS_SECRET_ACCESS_KEY}"

# AWS's own documentation example key: allowlisted by the default rules.
DOCS_EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"
