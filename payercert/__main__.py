from payercert.cli import main

main()
