from surefoot.cli import main

raise SystemExit(main())
