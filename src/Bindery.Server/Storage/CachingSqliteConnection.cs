using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Bindery.Storage;

/// <summary>
/// An open <see cref="SqliteConnection"/> that keeps each SQL text it ran compiled. Microsoft.Data.Sqlite compiles a
/// command's SQL when it first runs and keeps the compiled statement as long as the command lives, but Dapper makes
/// a new command for every call, so every query was parsed and planned again: on the bind path SQLite spent far more
/// time compiling than executing. Commands made here hand their SQL to a cached <see cref="SqliteCommand"/> that
/// stays prepared (parameters are cleared between uses), so a hot statement is compiled once per connection.
/// Used by one caller at a time, like any connection.
/// </summary>
public sealed class CachingSqliteConnection(SqliteConnection inner) : DbConnection
{
    /// <summary>Distinct SQL texts kept compiled; the set in the code is small, but expanded IN lists vary.</summary>
    private const int MaxCachedStatements = 512;

    private readonly Dictionary<string, SqliteCommand> _idle = new(StringComparer.Ordinal);

    public SqliteConnection Inner => inner;

    internal SqliteCommand Rent(string sql)
    {
        lock (_idle)
        {
            if (_idle.Remove(sql, out var cached))
            {
                return cached;
            }
        }
        var command = inner.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    internal void Return(SqliteCommand command)
    {
        command.Parameters.Clear();
        command.Transaction = null;
        lock (_idle)
        {
            if (_idle.Count < MaxCachedStatements && _idle.TryAdd(command.CommandText, command))
            {
                return;
            }
        }
        command.Dispose();
    }

    /// <summary>Runs a parameterless statement (SAVEPOINT, RELEASE …) through the cache.</summary>
    public void Execute(string sql, SqliteTransaction? transaction)
    {
        var command = Rent(sql);
        try
        {
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
        finally
        {
            Return(command);
        }
    }

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => inner.ConnectionString = value;
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => inner.State;

    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

    public override void Open() => inner.Open();

    public override void Close() => inner.Close();

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

    protected override DbCommand CreateDbCommand() => new CachedCommand(this);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_idle)
            {
                foreach (var command in _idle.Values)
                {
                    command.Dispose();
                }
                _idle.Clear();
            }
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>A command whose compiled statement comes from, and goes back to, the connection's cache.</summary>
    private sealed class CachedCommand(CachingSqliteConnection connection) : DbCommand
    {
        private SqliteCommand? _command;
        private SqliteTransaction? _transaction;
        private int? _timeout;

        private SqliteCommand Command => _command ??= Bind(connection.Inner.CreateCommand());

        private SqliteCommand Bind(SqliteCommand command)
        {
            command.Transaction = _transaction;
            if (_timeout is { } timeout)
            {
                command.CommandTimeout = timeout;
            }
            return command;
        }

        [AllowNull]
        public override string CommandText
        {
            get => _command?.CommandText ?? "";
            set
            {
                var sql = value ?? "";
                if (_command is { } current)
                {
                    if (current.CommandText == sql)
                    {
                        return;
                    }
                    if (current.Parameters.Count > 0)
                    {
                        // Parameters were added before the text: keep them on this (uncached) command.
                        current.CommandText = sql;
                        return;
                    }
                    connection.Return(current);
                }
                _command = Bind(connection.Rent(sql));
            }
        }

        public override int CommandTimeout
        {
            get => _command?.CommandTimeout ?? _timeout ?? 30;
            set
            {
                _timeout = value;
                if (_command is not null)
                {
                    _command.CommandTimeout = value;
                }
            }
        }

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text)
                {
                    throw new ArgumentException("SQLite runs text commands only.", nameof(value));
                }
            }
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => connection;
            set => throw new NotSupportedException("A cached command stays on its connection.");
        }

        protected override DbParameterCollection DbParameterCollection => Command.Parameters;

        protected override DbTransaction? DbTransaction
        {
            get => _transaction;
            set
            {
                _transaction = (SqliteTransaction?)value;
                if (_command is not null)
                {
                    _command.Transaction = _transaction;
                }
            }
        }

        public override void Cancel() => _command?.Cancel();

        public override int ExecuteNonQuery() => Command.ExecuteNonQuery();

        public override object? ExecuteScalar() => Command.ExecuteScalar();

        public override void Prepare() => Command.Prepare();

        protected override DbParameter CreateDbParameter() => Command.CreateParameter();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Command.ExecuteReader(behavior);

        protected override void Dispose(bool disposing)
        {
            if (disposing && _command is { } command)
            {
                _command = null;
                connection.Return(command);
            }
            base.Dispose(disposing);
        }
    }
}
