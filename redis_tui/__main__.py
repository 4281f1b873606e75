"""python -m redis_tui"""

import sys

from redis_tui.cli import main

sys.exit(main())
