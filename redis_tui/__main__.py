"""python -m redis_tui"""

import sys

from redis_tui.cli.main import main

sys.exit(main())
