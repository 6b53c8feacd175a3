// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {FloorFeedLib} from "./FloorFeedLib.sol";
import {ValuationMath} from "./ValuationMath.sol";
import {FeedWord, HeadWord, ValuationStorage} from "./ValuationStorage.sol";

/// @title OutageLib
/// @notice The outage clock of a collection, derived from its last checkpoint and the sources' own history.
/// @dev An outage is any time during which `priceView` would not have returned Ok. `replay` computes what the clock
/// reads now: it takes the clock recorded at the last checkpoint (`asOf`, the outage open then, the cumulative total,
/// the floor and sequencer rounds in force then) and replays [asOf, now]:
/// - the collection side (listed, frozen, TWAP ready, TWAP jumped, TWAP stale after `staleAt`) cannot change between
///   checkpoints, because every change of it goes through a checkpoint first;
/// - the floor feed and the sequencer feed change on their own: the rounds published after `asOf` are read back with
///   `getRoundData` (at most `MAX_ROUND_LOOKBACK` per feed), each judged for staleness (`updatedAt + heartbeat`),
///   validity (bounds) and jumps (against the floor reference, which is constant between checkpoints), or for
///   sequencer downtime and grace;
/// - the union of all bad intervals gives the outage still running (`since`) and the ended ones (`cumulative`).
/// The same walk tracks the floor's jump cool-down (`FloorJump`): it starts at the `updatedAt` of the first round
/// that jumped (however long the feed was stale or invalid before it), restarts at a round beyond the deviation from
/// the level it started at, and ends at a valid round within the deviation of the reference. An outage before a jump
/// is part of the same outage interval, but never part of the jump's cool-down.
/// The view (`IValuation.outage`) and a checkpoint run the same function, so a checkpoint never changes what the view
/// said, `cumulative` never decreases and a running outage keeps its start: an auction clock built on it is monotone.
/// Limits: when more than `MAX_ROUND_LOOKBACK` rounds of one feed were published since the last checkpoint, or a
/// round cannot be read back (a proxy phase change), the rounds not reached are assumed absent: the round recorded at
/// the checkpoint is taken to have stayed in force until the oldest round reached. A feed that reverts now is an
/// outage from the last checkpoint on. Any write, a valuation that moves the floor reference over several new rounds,
/// and `checkpoint()` record the clock.
/// `replay` is `public` (a linked library) to keep Valuation under the 24,576-byte size limit.
library OutageLib {
    /// @notice Rounds of one feed read back per replay at most.
    uint256 internal constant MAX_ROUND_LOOKBACK = 16;
    uint256 private constant MAX_INTERVALS = 1 + 2 * (MAX_ROUND_LOOKBACK + 2);

    /// @dev Bad intervals [start, end] found so far, packed `start << 128 | end` (sorting them sorts by start).
    struct Intervals {
        uint256[] packed;
        uint256 n;
    }

    /// @dev How rounds of a feed are judged.
    struct Judge {
        address feed;
        bool sequencer;
        uint256 asOf;
        uint256 heartbeat; // floor: staleness after updatedAt + heartbeat; sequencer: grace after a restart
        uint256 minAnswer;
        uint256 maxAnswer;
        int256 shift;
        uint256 ref;
        uint256 deviationBps;
    }

    /// @dev A round: its time (floor: updatedAt; sequencer: startedAt) and whether it is bad regardless of time;
    /// for a floor round read from the feed (`known`), whether it is valid and jumped, and its normalised floor.
    struct Round {
        uint256 id;
        uint256 time;
        bool bad;
        bool jumped;
        bool known;
        uint256 floor;
    }

    /// @notice The floor's jump cool-down after a replay (`IValuationAdmin.JumpState.floorAt/floorLevel`).
    /// @param at Start of the cool-down (0: the last valid round did not jump).
    /// @param level The normalised floor at `at` (0 when `at == 0`).
    struct FloorJump {
        uint256 at;
        uint256 level;
    }

    /// @notice The clock of `c` as a checkpoint now would record it, and the floor's jump cool-down.
    /// @param sequencerFeed The L2 sequencer-uptime feed (zero on L1).
    /// @param sequencerGrace Seconds after a sequencer restart during which nothing is priced.
    function replay(
        ValuationStorage.Collection storage c,
        address sequencerFeed,
        uint256 sequencerGrace
    )
        public
        view
        returns (IValuationAdmin.OutageClock memory clk, IValuationAdmin.SequencerClock memory seq, FloorJump memory fj)
    {
        clk = c.clock;
        uint256 asOf = clk.asOf;
        if (asOf == 0) return (clk, seq, fj); // never listed: no clock
        // The stored cool-down is non-zero only when the recorded round is bad (invariant of every record).
        if (clk.floorBad) {
            IValuationAdmin.JumpState storage js = c.jump;
            (fj.at, fj.level) = (js.floorAt, js.floorLevel);
        }
        if (sequencerFeed != address(0)) seq = c.seq;
        Intervals memory iv = Intervals({packed: new uint256[](MAX_INTERVALS), n: 0});
        FeedWord fw = FeedWord.wrap(c.feedWord);
        HeadWord hw = HeadWord.wrap(c.headWord);
        // The collection side is constant over [asOf, now].
        bool whole = ValuationStorage.alwaysOut(fw, hw);
        if (whole) {
            _add(iv, asOf, _open());
        } else {
            uint256 staleAt = hw.staleAt();
            if (staleAt < block.timestamp) _add(iv, staleAt > asOf ? staleAt : asOf, _open());
        }
        if (fw.flags() & ValuationStorage.LISTED != 0) {
            Judge memory j = Judge({
                feed: fw.feed(),
                sequencer: false,
                asOf: asOf,
                heartbeat: fw.heartbeat(),
                minAnswer: fw.minAnswer(),
                maxAnswer: hw.maxAnswer(),
                shift: fw.shift(),
                ref: hw.lastFloor(),
                deviationBps: fw.deviationBps()
            });
            Round memory r = _feed(iv, j, _recorded(clk.floorRound, clk.floorTime, clk.floorBad), whole, fj);
            (clk.floorRound, clk.floorTime, clk.floorBad) = (uint80(r.id), uint32(r.time), r.bad);
            if (sequencerFeed != address(0)) {
                j.feed = sequencerFeed;
                j.sequencer = true;
                j.heartbeat = sequencerGrace;
                r = _feed(iv, j, _recorded(seq.round, seq.startedAt, seq.down), whole, fj);
                (seq.round, seq.startedAt, seq.down) = (uint80(r.id), uint32(r.time), r.bad);
            }
        }
        _fold(iv, clk, asOf);
        clk.asOf = uint32(block.timestamp);
    }

    /// @dev Adds the bad intervals of one feed over [asOf, now] (unless `latestOnly`: the collection side is out
    /// throughout), tracks the floor's jump cool-down in `fj` over the same rounds, and returns the latest round.
    function _feed(
        Intervals memory iv,
        Judge memory j,
        Round memory recorded,
        bool latestOnly,
        FloorJump memory fj
    ) private view returns (Round memory latest) {
        {
            (bool ok, uint256 id, int256 answer, uint256 startedAt, uint256 updatedAt) =
                FloorFeedLib.latestRound(j.feed);
            uint256 time = j.sequencer ? startedAt : updatedAt;
            if (!ok || !FloorFeedLib.sane(time)) {
                // Unknown since when: an outage from the last checkpoint on (conservative). The cool-down is kept.
                if (!latestOnly) _add(iv, j.asOf, _open());
                return _recorded(0, block.timestamp, true);
            }
            latest = _round(j, id, answer, time);
        }
        // With the collection side out throughout, the history only matters for the floor's cool-down, and only
        // while the latest round is bad (the last valid round before it decides).
        bool history = !latestOnly || (latest.bad && !j.sequencer);
        if (!history || latest.time <= j.asOf || latest.id == recorded.id) {
            // No round since the checkpoint: the latest one was in force all along.
            if (!latestOnly) _segment(iv, j, j.asOf, _open(), latest);
            _track(j, fj, latest, j.asOf);
            return latest;
        }
        // Walk back through the rounds published after the checkpoint (newest first).
        Round[] memory rounds = new Round[](MAX_ROUND_LOOKBACK + 1);
        rounds[0] = latest;
        (uint256 n, Round memory before) = _walk(j, rounds, recorded);
        // Oldest first: [asOf, t_oldest) under `before`, then each round until the next one, the latest until now.
        _track(j, fj, before, j.asOf);
        uint256 start = j.asOf;
        for (uint256 i = n; i > 0; --i) {
            Round memory r = rounds[i - 1];
            if (!latestOnly) _segment(iv, j, start, r.time, before);
            _track(j, fj, r, r.time);
            start = r.time;
            before = r;
        }
        if (!latestOnly) _segment(iv, j, start, _open(), latest);
    }

    /// @dev Reads back the rounds before `rounds[0]` published after `asOf` into `rounds` (at most
    /// `MAX_ROUND_LOOKBACK`), and returns how many rounds `rounds` holds and the round in force at `asOf`: the one
    /// found with a time at or before `asOf`, else (recorded round reached, walk exhausted, round unreadable) the
    /// recorded one.
    function _walk(
        Judge memory j,
        Round[] memory rounds,
        Round memory recorded
    ) private view returns (uint256 n, Round memory before) {
        n = 1;
        before = recorded;
        uint256 id = rounds[0].id;
        for (uint256 k; k < MAX_ROUND_LOOKBACK && id > 1 && id - 1 != recorded.id; ++k) {
            --id;
            (bool ok, int256 answer, uint256 startedAt, uint256 updatedAt) = FloorFeedLib.roundAt(j.feed, id);
            uint256 time = j.sequencer ? startedAt : updatedAt;
            if (!ok || !FloorFeedLib.sane(time)) break;
            if (time <= j.asOf) return (n, _round(j, id, answer, time));
            // Times never increase going back (a feed that says otherwise is read as simultaneous).
            uint256 newer = rounds[n - 1].time;
            rounds[n++] = _round(j, id, answer, time < newer ? time : newer);
        }
    }

    /// @dev A round read from the feed, judged: bad whatever the time when the floor is invalid or jumped, or the
    /// sequencer down.
    function _round(Judge memory j, uint256 id, int256 answer, uint256 time) private pure returns (Round memory r) {
        r.id = id;
        r.time = time;
        r.known = true;
        if (j.sequencer) {
            r.bad = answer != 0;
            return r;
        }
        bool invalid;
        (invalid, r.jumped, r.floor) =
            FloorFeedLib.judge(answer, j.minAnswer, j.maxAnswer, j.shift, j.ref, j.deviationBps);
        r.bad = invalid || r.jumped;
    }

    /// @dev A round known only from the record (its answer was not read back).
    function _recorded(uint256 id, uint256 time, bool bad) private pure returns (Round memory r) {
        r.id = id;
        r.time = time;
        r.bad = bad;
    }

    /// @dev One step of the floor's jump cool-down: round `r`, in force from `time` (its own time, or `asOf` for the
    /// round in force at the checkpoint). Rounds whose answer is unknown or invalid carry no level and change
    /// nothing; a valid round within the deviation of the reference ends the cool-down; a jumped round starts one
    /// when none runs, or restarts it when it is beyond the deviation from the level the running one started at.
    /// Staleness plays no part: the first fresh answer after a stale gap starts the cool-down at its `updatedAt`.
    function _track(Judge memory j, FloorJump memory fj, Round memory r, uint256 time) private pure {
        if (j.sequencer || !r.known || (r.bad && !r.jumped)) return;
        if (!r.jumped) {
            (fj.at, fj.level) = (0, 0);
        } else if (fj.at == 0 || ValuationMath.deviatesAtLeast(r.floor, fj.level, j.deviationBps)) {
            (fj.at, fj.level) = (time, r.floor);
        }
    }

    /// @dev Bad part of [s, e] while `r` is in force; `e == _open()` for the round in force now, whose bad part is
    /// left open when the status is bad now. Floor: all of it when bad, else from `time + heartbeat` on (stale when
    /// now - updatedAt > heartbeat). Sequencer: all of it when down, else until `startedAt + grace` (up for at most
    /// the grace counts as down).
    function _segment(Intervals memory iv, Judge memory j, uint256 s, uint256 e, Round memory r) private view {
        if (r.bad) {
            _add(iv, s, e);
            return;
        }
        uint256 edge = r.time + j.heartbeat;
        bool running = e == _open();
        if (j.sequencer) {
            if (running && edge >= block.timestamp) _add(iv, s, e);
            else if (s <= edge) _add(iv, s, e < edge ? e : edge);
        } else if (running ? edge < block.timestamp : edge < e) {
            _add(iv, edge > s ? edge : s, e);
        }
    }

    /// @dev The end of an interval still running now: after every closed end (closed ends are at most now).
    function _open() private view returns (uint256) {
        return block.timestamp + 1;
    }

    function _add(Intervals memory iv, uint256 s, uint256 e) private pure {
        if (s > e) return;
        iv.packed[iv.n++] = (s << 128) | e;
    }

    /// @dev Merges the intervals and moves the clock from `asOf` to now: ended runs add to `cumulative`, a run still
    /// running now is the open outage; a run starting at `asOf` continues the outage open then (keeps its start).
    function _fold(Intervals memory iv, IValuationAdmin.OutageClock memory clk, uint256 asOf) private view {
        uint256 n = iv.n;
        uint256[] memory p = iv.packed;
        // Insertion sort (n <= MAX_INTERVALS, usually 0 to 2).
        for (uint256 s = 1; s < n; ++s) {
            uint256 x = p[s];
            uint256 k = s;
            while (k > 0 && p[k - 1] > x) {
                p[k] = p[k - 1];
                --k;
            }
            p[k] = x;
        }
        uint256 prevSince = clk.since;
        uint256 cumulative = clk.cumulative;
        uint256 openSince;
        bool continued;
        uint256 open = _open();
        uint256 i;
        while (i < n) {
            uint256 runStart = p[i] >> 128;
            uint256 runEnd = uint128(p[i]);
            for (++i; i < n && p[i] >> 128 <= runEnd; ++i) {
                uint256 e = uint128(p[i]);
                if (e > runEnd) runEnd = e;
            }
            if (runStart == asOf && prevSince != 0) {
                runStart = prevSince;
                continued = true;
            }
            if (runEnd == open) openSince = runStart;
            else cumulative += runEnd - runStart;
        }
        // The outage open at asOf ended there.
        if (prevSince != 0 && !continued) cumulative += asOf - prevSince;
        clk.since = uint32(openSince);
        clk.cumulative = cumulative > type(uint32).max ? type(uint32).max : uint32(cumulative);
    }
}
