using System.Data.Common;

namespace Bindery.Storage;

/// <summary>The store could not be reached or is shutting down; the client may retry.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A write broke an integrity constraint and was rolled back. Both stores translate their own errors into the two
/// subclasses out of <see cref="IDatabase.WriteAsync{T}"/>, so no caller needs a provider type: catch
/// <see cref="UniqueViolationException"/> where a unique index has the last word, or this base where any
/// constraint a concurrent writer could break (a row referenced by the write was deleted meanwhile) should become
/// one catalogued answer. Its <see cref="SqlState"/> is PostgreSQL's code on both stores.
/// </summary>
/// <remarks>
/// Never catch it, or any database exception, inside a write delegate and carry on: on PostgreSQL the failed
/// statement has aborted the whole transaction. Use <c>ON CONFLICT DO NOTHING</c> and look at the row count
/// when a duplicate is an expected outcome.
/// </remarks>
public abstract class ConstraintViolationException(string message, Exception inner) : DbException(message, inner);

/// <summary>
/// A write broke a unique constraint (SQLite <c>SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY</c>, PostgreSQL 23505).
/// Anything left uncaught is answered as a conflict (9008), never as HTTP 500.
/// </summary>
public sealed class UniqueViolationException(string message, Exception inner) : ConstraintViolationException(message, inner)
{
    public const string UniqueViolationState = "23505";

    public override string SqlState => UniqueViolationState;
}

/// <summary>A write referenced a row that does not exist (SQLite <c>SQLITE_CONSTRAINT_FOREIGNKEY</c>, PostgreSQL 23503).</summary>
public sealed class ForeignKeyViolationException(string message, Exception inner) : ConstraintViolationException(message, inner)
{
    public const string ForeignKeyViolationState = "23503";

    public override string SqlState => ForeignKeyViolationState;
}
