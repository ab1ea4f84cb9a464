from synthic.cli import main

raise SystemExit(main())
