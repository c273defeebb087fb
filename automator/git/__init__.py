"""Git write-back: commits and pushes (GitPython over the git command line)."""
