from servicekit.runner import serve
from servicenow.api.main import SPEC

serve(SPEC)
