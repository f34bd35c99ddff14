using System.Data.Common;

namespace Bindery.Storage;

/// <summary>The store could not be reached or is shutting down; the client may retry.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A write broke a unique constraint (SQLite <c>SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY</c>, PostgreSQL 23505) and
/// was rolled back. Both stores throw this same type out of <see cref="IDatabase.WriteAsync{T}"/>, so callers
/// that rely on a unique index as the last word catch it around their <c>WriteAsync</c> call and answer with
/// their own catalogued error; anything left uncaught is answered as a conflict (9008), never as HTTP 500.
/// It is a <see cref="DbException"/> whose <see cref="SqlState"/> is 23505, so a caller that matches
/// <c>DbException { SqlState: "23505" }</c> (or any 23xxx integrity violation) recognises it on both stores.
/// </summary>
/// <remarks>
/// Never catch it, or any database exception, inside a write delegate and carry on: on PostgreSQL the failed
/// statement has aborted the whole transaction. Use <c>ON CONFLICT DO NOTHING</c> and look at the row count
/// when a duplicate is an expected outcome.
/// </remarks>
public sealed class UniqueViolationException(string message, Exception inner) : DbException(message, inner)
{
    public const string UniqueViolationState = "23505";

    public override string SqlState => UniqueViolationState;
}
