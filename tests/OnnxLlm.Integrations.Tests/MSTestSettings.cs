// Test classes run in parallel; each test builds its own fixtures or shares read-only ones.
[assembly: Parallelize(Scope = ExecutionScope.ClassLevel)]
