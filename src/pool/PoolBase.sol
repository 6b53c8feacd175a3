// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {GovernedBase} from "../admin/GovernedBase.sol";
import {ILendingPoolTypes} from "../interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../interfaces/IValuation.sol";
import {KinkRate} from "../libraries/KinkRate.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {
    MARKET_AUCTIONS_OPEN_MASK,
    MARKET_AUCTIONS_OPEN_OFFSET,
    MARKET_CASH_MASK,
    MARKET_NEXT_LOAN_ID_MASK,
    MARKET_NEXT_LOAN_ID_OFFSET,
    MARKET_RESERVE_MASK,
    MARKET_RESERVE_OFFSET,
    MarketSlot,
    RATES_BORROW_INDEX_MASK,
    RATES_BORROW_INDEX_OFFSET,
    RATES_LAST_UPDATE_MASK,
    RATES_LAST_UPDATE_OFFSET,
    RATES_TOTAL_SCALED_DEBT_MASK,
    RATE_CONFIG_BASE_RATE_MASK,
    RATE_CONFIG_BORROW_PAUSED_MASK,
    RATE_CONFIG_BORROW_PAUSED_OFFSET,
    RATE_CONFIG_KINK_BPS_MASK,
    RATE_CONFIG_KINK_BPS_OFFSET,
    RATE_CONFIG_MIN_LOAN_MASK,
    RATE_CONFIG_MIN_LOAN_OFFSET,
    RATE_CONFIG_RESERVE_FACTOR_BPS_MASK,
    RATE_CONFIG_RESERVE_FACTOR_BPS_OFFSET,
    RATE_CONFIG_SLOPE1_MASK,
    RATE_CONFIG_SLOPE1_OFFSET,
    RATE_CONFIG_SLOPE2_MASK,
    RATE_CONFIG_SLOPE2_OFFSET,
    RateConfigSlot,
    RatesSlot
} from "./HotSlots.sol";
import {ERC20} from "solady/tokens/ERC20.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @notice The NFT calls the pool makes, for both standards.
interface INft {
    function transferFrom(address from, address to, uint256 tokenId) external;
    function getApproved(uint256 tokenId) external view returns (address);
    function isApprovedForAll(address owner, address operator) external view returns (bool);
    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata data) external;
}

/// @title PoolBase
/// @notice What the pool's modules share: constants, immutables, the ERC-7201 storage, the share token, and the
/// accounting helpers (accrual, total assets, health, exposure, due dates). `LendingPool` holds the hot paths;
/// `LendingPoolExtension`, reached through the core's fallback by `delegatecall`, holds conversions, views, claims and
/// renewal; `LendingPoolAdmin`, reached through the extension's fallback, holds administration.
abstract contract PoolBase is ILendingPoolTypes, GovernedBase, ERC20, ReentrancyGuardTransient {
    using PoolMath for uint256;
    using SafeCastLib for uint256;
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    uint8 internal constant ERC721_STANDARD = 1;
    uint8 internal constant ERC1155_STANDARD = 2;
    uint256 internal constant MIN_AUCTION_DURATION = 24 hours;
    uint256 internal constant MAX_AUCTION_DURATION = 48 hours;
    uint256 internal constant MAX_RESERVE_FACTOR_BPS = 5000;
    uint256 internal constant MAX_PENALTY_BPS = 2000;
    /// @dev The largest `Loan.premiumMultipleWad` the pool records, whatever the valuation returned: a backstop to the
    /// valuation's own per-collection cap (at most 10x there too).
    uint256 internal constant MAX_PREMIUM_MULTIPLE_WAD = 10e18;
    /// @dev Whoever settles an ended auction (relists it or closes it) is paid this share of its frozen debt, booked
    /// as part of the auction's impairment at its start and paid from the reserve first.
    uint256 internal constant SETTLE_REWARD_BPS = 10;
    /// @dev Settlements an auction can need: its relists (`IDutchAuction.MAX_RELISTS`, 3) plus the final close.
    uint256 internal constant MAX_SETTLEMENTS = 4;
    /// @dev Bounds and default of the period over which a recovery reaches the share price (`setUnlockPeriod`).
    uint256 internal constant MIN_UNLOCK_PERIOD = 1 hours;
    uint256 internal constant MAX_UNLOCK_PERIOD = 7 days;
    uint256 internal constant DEFAULT_UNLOCK_PERIOD = 12 hours;
    /// @dev A `Loan` is 15 static words.
    uint256 internal constant LOAN_BYTES = 15 * 32;

    /*//////////////////////////////////////////////////////////////
                               IMMUTABLES
    //////////////////////////////////////////////////////////////*/

    address internal immutable ASSET;
    IValuation internal immutable VALUATION;
    uint8 internal immutable SHARE_DECIMALS;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev 32 bytes: idle cash (14) | first-loss reserve (13) | next loan id (4) | auctions open (1). The flag is
    /// true while the auction book holds debt, so lender operations skip reading the book when no auction runs.
    struct Market {
        uint112 cash;
        uint104 reserve;
        uint32 nextLoanId;
        bool auctionsOpen;
    }

    /// @dev 32 bytes: live scaled debt (14) | borrow index, WAD (13) | last accrual (5).
    struct Rates {
        uint112 totalScaledDebt;
        uint104 borrowIndex;
        uint40 lastUpdate;
    }

    /// @dev 32 bytes: debt frozen in auctions (16) | their booked loss (16): since issue 14 the whole frozen debt plus
    /// the settlement rewards it may pay (auctions started before that upgrade keep the loss booked at their start).
    struct AuctionBook {
        uint128 auctionDebt;
        uint128 impairment;
    }

    /// @dev 32 bytes: live scaled debt (14) | debt ceiling in assets (12) | current terms id (4) | frozen (1) |
    /// token standard (1, fixed at listing: every terms record of a collection has the same standard).
    struct CollectionState {
        uint112 scaledDebt;
        uint96 debtCeiling;
        uint32 termsId;
        bool frozen;
        uint8 standard;
    }

    /// @dev 30 bytes: a recovery not yet in the share price. `locked` at `from`, falling linearly to zero at `until`;
    /// `period` (0 = the default) is what a new recovery unlocks over. The slot stays non-zero once written, so a
    /// sale rewrites it (5k gas) instead of creating it (22k).
    struct RecoveryLock {
        uint128 locked;
        uint40 from;
        uint40 until;
        uint32 period;
    }

    /// @dev 32 bytes: what else counts against a collection's ceiling, and the per-borrower limits (issue 15). The debt
    /// frozen in the collection's running auctions (relists included) stays in its exposure until the auction settles
    /// (sold, repaid or written off), so starting an auction never frees room under the ceiling. Auctions started
    /// before this field existed are not in it (it saturates at zero when they settle). `borrowerCap` bounds one
    /// borrower's outstanding principal in the collection, `maxUnits` the units one loan may pledge (0: no cap).
    struct CollectionRisk {
        uint128 auctionDebt;
        uint96 borrowerCap;
        uint32 maxUnits;
    }

    /// @custom:storage-location erc7201:nftlend.storage.LendingPool
    struct PoolStorage {
        Market market;
        Rates rates;
        RateConfig rateConfig;
        AuctionBook book;
        address liquidator;
        // Sum of `claimable`: what the pool's balance holds for claimants on top of `market.cash`. Packed with the
        // liquidator, whose slot settlement reads anyway.
        uint96 totalClaimable;
        address custody;
        uint128 totalBadDebt;
        uint128 badDebtAbsorbed;
        mapping(address collection => CollectionState) collections;
        mapping(address collection => mapping(uint32 termsId => Terms)) terms;
        mapping(uint256 loanId => bytes32) loans;
        mapping(address account => uint256) claimable;
        mapping(bytes32 ownerCollectionId => uint256) nftClaims;
        string name;
        string symbol;
        // Appended by issue 14 (upgrade-safe: after every earlier field).
        RecoveryLock lock;
        // When each former liquidation module was replaced: it may still settle the auctions it started before then.
        mapping(address module => uint256) retiredAt;
        // Appended by the issue 14 review (F3): settlers' rewards credited while idle cash was short, a liability of
        // the lenders deducted from their assets until a claim pays it in from idle cash. Read only while the
        // auction flag is set.
        uint256 rewardsOwed;
        // Appended by issue 15: per-collection exposure (auction debt, per-borrower cap) and each borrower's
        // outstanding principal per collection (live and in-auction loans; loans opened before this field are not in
        // it, and their release saturates at zero).
        mapping(address collection => CollectionRisk) risk;
        mapping(address collection => mapping(address borrower => uint256)) borrowerPrincipal;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.LendingPool")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant POOL_SLOT = 0x23b0df57f1a6c3ed8b67a2df7c09dd4fa71eaaa3a49c143bce2f07c91f1cce00;

    function _s() internal pure returns (PoolStorage storage $) {
        assembly ("memory-safe") {
            $.slot := POOL_SLOT
        }
    }

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param asset_ The borrow asset (a plain ERC-20).
    /// @param valuation_ The valuation every loan of this pool is priced by.
    constructor(address asset_, address valuation_) {
        if (asset_ == address(0) || valuation_ == address(0)) revert ZeroAddress();
        ASSET = asset_;
        VALUATION = IValuation(valuation_);
        (bool ok, bytes memory data) = asset_.staticcall(abi.encodeWithSignature("decimals()"));
        uint8 assetDecimals = ok && data.length >= 32 ? abi.decode(data, (uint8)) : 18;
        SHARE_DECIMALS = assetDecimals + 6; // VIRTUAL_SHARES = 1e6
        // Prices are in the valuation's asset units: a valuation built for other decimals would misprice every loan
        // (by 10^12 for an 18-decimal valuation behind a 6-decimal asset). The valuation is immutable, so this is the
        // one place it is set; its proxy is initialised before the pool's implementation is built.
        uint8 valuationDecimals = IValuation(valuation_).assetDecimals();
        if (valuationDecimals != assetDecimals) revert ValuationDecimalsMismatch(assetDecimals, valuationDecimals);
    }

    function name() public view virtual override returns (string memory) {
        return _s().name;
    }

    function symbol() public view virtual override returns (string memory) {
        return _s().symbol;
    }

    function decimals() public view virtual override returns (uint8) {
        return SHARE_DECIMALS;
    }

    /// @dev Lender shares never grant Permit2 an implicit infinite allowance.
    function _givePermit2InfiniteAllowance() internal pure override returns (bool) {
        return false;
    }

    /// @dev The pool targets Cancun chains: always the transient-storage lock.
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }

    /*//////////////////////////////////////////////////////////////
                            STORAGE ACCESS
    //////////////////////////////////////////////////////////////*/

    // One load and one store function per packed struct: the packing code exists once in the bytecode. The three hot
    // slots (market, rates, rate configuration: read by every entry point) are value types (HotSlots.sol: the bit
    // layout, named offsets and masks, getters and setters), at the layout Solidity gives the structs above
    // (test/halmos/PoolPacking.t.sol proves both directions against Solidity's own storage encoding and the
    // accessors against both). The compiler's field-by-field read-modify-write costs ~300 gas more per slot; building
    // the memory structs through the accessors cost 100-340 gas more per operation (unpacking field by field in
    // Solidity, and the shifts by zero the optimizer leaves in), so the struct codecs below write each word in one
    // assembly expression over the same named constants. The lowest field of each word sits at offset 0: no shift.

    function _packMarket(Market memory m) internal pure returns (MarketSlot w) {
        assembly ("memory-safe") {
            w := or(
                or(
                    and(mload(m), MARKET_CASH_MASK),
                    shl(MARKET_RESERVE_OFFSET, and(mload(add(m, 0x20)), MARKET_RESERVE_MASK))
                ),
                or(
                    shl(MARKET_NEXT_LOAN_ID_OFFSET, and(mload(add(m, 0x40)), MARKET_NEXT_LOAN_ID_MASK)),
                    shl(MARKET_AUCTIONS_OPEN_OFFSET, iszero(iszero(mload(add(m, 0x60)))))
                )
            )
        }
    }

    function _unpackMarket(MarketSlot w) internal pure returns (Market memory m) {
        assembly ("memory-safe") {
            mstore(m, and(w, MARKET_CASH_MASK))
            mstore(add(m, 0x20), and(shr(MARKET_RESERVE_OFFSET, w), MARKET_RESERVE_MASK))
            mstore(add(m, 0x40), and(shr(MARKET_NEXT_LOAN_ID_OFFSET, w), MARKET_NEXT_LOAN_ID_MASK))
            mstore(add(m, 0x60), iszero(iszero(and(shr(MARKET_AUCTIONS_OPEN_OFFSET, w), MARKET_AUCTIONS_OPEN_MASK))))
        }
    }

    function _packRates(Rates memory r) internal pure returns (RatesSlot w) {
        assembly ("memory-safe") {
            w := or(
                or(
                    and(mload(r), RATES_TOTAL_SCALED_DEBT_MASK),
                    shl(RATES_BORROW_INDEX_OFFSET, and(mload(add(r, 0x20)), RATES_BORROW_INDEX_MASK))
                ),
                shl(RATES_LAST_UPDATE_OFFSET, and(mload(add(r, 0x40)), RATES_LAST_UPDATE_MASK))
            )
        }
    }

    function _unpackRates(RatesSlot w) internal pure returns (Rates memory r) {
        assembly ("memory-safe") {
            mstore(r, and(w, RATES_TOTAL_SCALED_DEBT_MASK))
            mstore(add(r, 0x20), and(shr(RATES_BORROW_INDEX_OFFSET, w), RATES_BORROW_INDEX_MASK))
            mstore(add(r, 0x40), and(shr(RATES_LAST_UPDATE_OFFSET, w), RATES_LAST_UPDATE_MASK))
        }
    }

    function _unpackRateConfig(RateConfigSlot w) internal pure returns (RateConfig memory rc) {
        assembly ("memory-safe") {
            mstore(rc, and(w, RATE_CONFIG_BASE_RATE_MASK))
            mstore(add(rc, 0x20), and(shr(RATE_CONFIG_SLOPE1_OFFSET, w), RATE_CONFIG_SLOPE1_MASK))
            mstore(add(rc, 0x40), and(shr(RATE_CONFIG_SLOPE2_OFFSET, w), RATE_CONFIG_SLOPE2_MASK))
            mstore(add(rc, 0x60), and(shr(RATE_CONFIG_KINK_BPS_OFFSET, w), RATE_CONFIG_KINK_BPS_MASK))
            mstore(
                add(rc, 0x80),
                and(shr(RATE_CONFIG_RESERVE_FACTOR_BPS_OFFSET, w), RATE_CONFIG_RESERVE_FACTOR_BPS_MASK)
            )
            mstore(
                add(rc, 0xa0),
                iszero(iszero(and(shr(RATE_CONFIG_BORROW_PAUSED_OFFSET, w), RATE_CONFIG_BORROW_PAUSED_MASK)))
            )
            mstore(add(rc, 0xc0), and(shr(RATE_CONFIG_MIN_LOAN_OFFSET, w), RATE_CONFIG_MIN_LOAN_MASK))
        }
    }

    function _loadMarket() internal view returns (Market memory) {
        MarketSlot w;
        assembly ("memory-safe") {
            w := sload(POOL_SLOT)
        }
        return _unpackMarket(w);
    }

    function _storeMarket(Market memory m) internal {
        MarketSlot w = _packMarket(m);
        assembly ("memory-safe") {
            sstore(POOL_SLOT, w)
        }
    }

    function _loadRates() internal view returns (Rates memory) {
        RatesSlot w;
        assembly ("memory-safe") {
            w := sload(add(POOL_SLOT, 1))
        }
        return _unpackRates(w);
    }

    function _storeRates(Rates memory r) internal {
        RatesSlot w = _packRates(r);
        assembly ("memory-safe") {
            sstore(add(POOL_SLOT, 1), w)
        }
    }

    function _loadBook() internal view returns (AuctionBook memory) {
        return _s().book;
    }

    /// @dev Stores the book and keeps the market's `auctionsOpen` flag in step with it; the caller stores `m`. The flag
    /// means "the book or the recovery lock may hold something": lender operations read neither while it is false.
    /// Frozen debt is at least one wei per auction, so the book is empty exactly when its debt is zero; only then is
    /// the lock read.
    function _storeBook(Market memory m, AuctionBook memory book) internal {
        PoolStorage storage $ = _s();
        $.book = book;
        m.auctionsOpen = book.auctionDebt != 0 || $.lock.until > block.timestamp || $.rewardsOwed != 0;
    }

    function _loadRateConfig() internal view returns (RateConfig memory) {
        RateConfigSlot w;
        assembly ("memory-safe") {
            w := sload(add(POOL_SLOT, 2))
        }
        return _unpackRateConfig(w);
    }

    function _loadTerms(address collection_, uint32 termsId) internal view returns (Terms memory) {
        return _s().terms[collection_][termsId];
    }

    /// @dev A memory copy of a calldata loan, decoded (and so validated) once.
    function _toMemory(Loan calldata loan) internal pure returns (Loan memory) {
        return loan;
    }

    /// @dev A fresh memory copy of a memory loan (memory structs alias on assignment).
    function _copyLoan(Loan memory loan) internal pure returns (Loan memory copy) {
        assembly ("memory-safe") {
            copy := mload(0x40)
            mcopy(copy, loan, LOAN_BYTES)
            mstore(0x40, add(copy, LOAN_BYTES))
        }
    }

    /*//////////////////////////////////////////////////////////////
                              ACCOUNTING
    //////////////////////////////////////////////////////////////*/

    /// @dev Accrues interest to now and stores the rates. The caller MUST store `m` (which holds the reserve's share
    /// of the interest) before it returns: every lender entry point changes the market anyway, so storing it here too
    /// would write the slot twice.
    function _accrue() internal returns (Market memory m, Rates memory r) {
        bool moved;
        (m, r, moved) = _accrueInMemory();
        if (moved) _storeRates(r);
    }

    /// @dev Accrues interest to now and stores both slots: for entry points that do not otherwise touch the market.
    function _accrueAndStore() internal {
        (Market memory m, Rates memory r, bool moved) = _accrueInMemory();
        if (moved) {
            _storeRates(r);
            _storeMarket(m);
        }
    }

    /// @dev Interest to now, in memory only: the caller MUST store both `m` and `r` before it returns (borrow, repay,
    /// renew and startAuction change both anyway; one store each instead of two saves ~300 gas). `moved` is false
    /// when the market was already accrued in this block. No accrual event: it would cost ~1.6k gas on every entry
    /// point, and `borrowIndex()` and `reserve()` give the same figures at any block (docs/pool.md, "Gas").
    function _accrueInMemory() internal view returns (Market memory m, Rates memory r, bool moved) {
        m = _loadMarket();
        r = _loadRates();
        if (r.lastUpdate == block.timestamp) return (m, r, false);
        (, uint256 toReserve) = _interest(m, r, _loadRateConfig());
        r.lastUpdate = uint40(block.timestamp);
        if (toReserve != 0) m.reserve = (uint256(m.reserve) + toReserve).toUint104();
        moved = true;
    }

    /// @dev The view twin of `_accrue`.
    function _accruedView() internal view returns (Market memory m, Rates memory r, uint256 index) {
        m = _loadMarket();
        r = _loadRates();
        if (r.lastUpdate != block.timestamp) {
            (, uint256 toReserve) = _interest(m, r, _loadRateConfig());
            m.reserve = uint104(uint256(m.reserve) + toReserve);
        }
        index = r.borrowIndex;
    }

    /// @dev Grows `r.borrowIndex` in memory for the time since the last accrual; returns the interest charged and the
    /// reserve's share of it. The index rounds up (borrowers owe the extra wei); the reserve share rounds down.
    function _interest(
        Market memory m,
        Rates memory r,
        RateConfig memory rc
    ) internal view returns (uint256 interest, uint256 toReserve) {
        uint256 scaled = r.totalScaledDebt;
        if (scaled == 0) return (0, 0);
        uint256 index = r.borrowIndex;
        uint256 debt = scaled.toDebtUp(index);
        uint256 ratePerSecond = KinkRate.rate(_kink(rc), KinkRate.utilization(m.cash, debt));
        uint256 growth = PoolMath.compoundedGrowth(ratePerSecond, block.timestamp - r.lastUpdate);
        uint256 newIndex = index + index.mulWadUp(growth);
        // The index saturates instead of overflowing its 104 bits (~2e13 times its start: ~5 years of full utilisation
        // at the highest rates the bounds allow): interest stops, and every entry point, repayment first, still works.
        if (newIndex > type(uint104).max) newIndex = type(uint104).max;
        r.borrowIndex = uint104(newIndex);
        interest = scaled.toDebtUp(newIndex) - debt;
        toReserve = interest.mulBpsDown(rc.reserveFactorBps);
    }

    /// @dev Lenders' assets at the exit price (withdraw, redeem, their previews, `convertTo*`, `totalAssets`): the
    /// written-down value. The reserve and the running auctions' booked loss overlap (the reserve absorbs losses
    /// first), so the larger of the two is deducted; so is the part of past recoveries still locked.
    function _totalAssets(Market memory m, Rates memory r) internal view returns (uint256) {
        return _assets(m, r, false);
    }

    /// @dev Lenders' assets at the entry price (deposit, mint, their previews, `maxMint`): what they would hold if
    /// every running auction recovered its whole frozen debt and every lock had released, i.e. the exit value with
    /// the impairment above the reserve and the locked recovery added back. A depositor who enters during an auction
    /// so pays for the recovery it would share and bears any shortfall beyond it; since entry >= exit, no round trip
    /// profits. Rounded in the pool's favour: live debt rounds up (fewer shares minted, more assets charged).
    function _entryAssets(Market memory m, Rates memory r) internal view returns (uint256) {
        return _assets(m, r, true);
    }

    /// @dev Both prices. Entry reads only the book (one slot) while an auction runs, never the lock.
    function _assets(Market memory m, Rates memory r, bool entry) private view returns (uint256) {
        uint256 gross = uint256(m.cash) + uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex);
        uint256 reserved = m.reserve;
        uint256 deducted = reserved;
        if (m.auctionsOpen) {
            PoolStorage storage $ = _s();
            AuctionBook memory book = $.book;
            gross += book.auctionDebt;
            // Rewards owed to settlers: a liability at either price.
            deducted += $.rewardsOwed;
            if (!entry) {
                if (book.impairment > reserved) deducted += book.impairment - reserved;
                deducted += _lockedNow($.lock);
            }
        }
        return gross > deducted ? gross - deducted : 0;
    }

    /// @dev What lenders hold of the cash, the frozen debt and the reserve, before the lock: the part of
    /// `_totalAssets` a settlement or a repayment in auction can move (live debt does not change in either). Signed,
    /// since a book whose loss exceeds its frozen debt plus cash is negative here.
    function _bookedAssets(Market memory m, AuctionBook memory book) internal pure returns (int256) {
        uint256 deducted = m.reserve > book.impairment ? m.reserve : book.impairment;
        return int256(uint256(m.cash) + book.auctionDebt) - int256(deducted);
    }

    /// @dev The part of past recoveries not yet in the share price, rounded up (in the pool's favour: assets are
    /// understated by at most one wei).
    function _lockedNow(RecoveryLock memory l) internal view returns (uint256) {
        if (block.timestamp >= l.until) return 0;
        return uint256(l.locked).mulDivUp(l.until - block.timestamp, uint256(l.until) - l.from);
    }

    /// @dev Locks `gain` (a recovery that just raised `_bookedAssets`) so it reaches the share price linearly over the
    /// unlock period instead of at once: no same-block round trip captures it, and the lenders who bore the loss get
    /// it. What is still locked keeps its remaining time; the end is the gain-weighted mean of both, rounded up, so
    /// `_lockedNow` is continuous (the lock grows by exactly the assets that arrived) and never rises between events.
    /// Sets `m.auctionsOpen` (the caller stores `m`).
    function _lockGain(Market memory m, uint256 gain) internal {
        RecoveryLock storage lock = _s().lock;
        RecoveryLock memory l = lock;
        uint256 current = _lockedNow(l);
        uint256 period = l.period == 0 ? DEFAULT_UNLOCK_PERIOD : l.period;
        uint256 remaining = l.until > block.timestamp ? l.until - block.timestamp : 0;
        uint256 total = current + gain;
        uint256 duration = (current * remaining + gain * period + total - 1) / total;
        lock.locked = total.toUint128();
        lock.from = uint40(block.timestamp);
        lock.until = uint40(block.timestamp + duration);
        m.auctionsOpen = true;
        emit RecoveryLocked(gain, total, block.timestamp + duration);
    }

    /// @dev Locks what a settlement or a repayment in auction added to `_bookedAssets` since `before` (nothing when it
    /// fell: a loss is booked at once). The caller has stored `book` and stores `m`.
    function _lockRecovery(Market memory m, AuctionBook memory book, int256 before) internal {
        int256 gain = _bookedAssets(m, book) - before;
        if (gain > 0) _lockGain(m, uint256(gain));
    }

    /// @dev Writes `shortfall` off: the reserve absorbs first, lenders the rest (already booked as impairment). The
    /// caller stores `m`.
    function _writeOff(PoolStorage storage $, Market memory m, uint256 loanId, uint256 shortfall) internal {
        uint256 fromReserve = shortfall < m.reserve ? shortfall : m.reserve;
        m.reserve -= uint104(fromReserve);
        $.totalBadDebt += uint128(shortfall);
        $.badDebtAbsorbed += uint128(fromReserve);
        emit BadDebt(loanId, shortfall, fromReserve, shortfall - fromReserve);
    }

    /// @dev Only the liquidation module, or a former one for the auctions started up to the block it was replaced in
    /// (so a module change never strands a running auction, even one started in the same block before the change).
    /// A same-block auction of the new module is also in that window, but a module can only settle an auction it
    /// holds the round commitment for, which only the module that started it has.
    function _checkLiquidator(PoolStorage storage $, Loan memory loan) internal view {
        if (msg.sender == $.liquidator) return;
        uint256 retired = $.retiredAt[msg.sender];
        if (retired == 0 || loan.auctionStart == 0 || loan.auctionStart > retired) revert NotLiquidator(msg.sender);
    }

    /// @dev Copies the caller's loan into memory and checks it against the stored commitment. The copy is raw (no
    /// per-field ABI validation, ~1k gas less): the commitment is the hash of a clean encoding, so a loan with a dirty
    /// field (an address with high bits set, a uint40 out of range) or short calldata hashes differently and is
    /// refused like any unknown loan (test_RevertWhen_repay_dirtyLoanEncoding).
    function _checkLoan(
        PoolStorage storage $,
        uint256 loanId,
        Loan calldata loanIn
    ) internal view returns (Loan memory loan) {
        assembly ("memory-safe") {
            loan := mload(0x40)
            calldatacopy(loan, loanIn, LOAN_BYTES)
            mstore(0x40, add(loan, LOAN_BYTES))
        }
        bytes32 stored = $.loans[loanId];
        if (stored == bytes32(0) || stored != _hash(loan)) revert UnknownLoan(loanId);
    }

    /// @dev keccak256(abi.encode(loan)): every field is a static type, so the memory struct is exactly its encoding.
    function _hash(Loan memory loan) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(loan, LOAN_BYTES)
        }
    }

    /// @dev Collateral value before haircut: (price + premium) x amount, the per-unit premium counted at most its
    /// multiple at origination x the current price (rounded down, against the borrower): a rise of the price never
    /// grows the premium, a fall shrinks it in proportion.
    function _collateralValue(
        uint256 unitPrice,
        uint256 amount,
        uint256 premium,
        uint256 premiumMultipleWad
    ) internal pure returns (uint256) {
        if (premium != 0) {
            uint256 most = unitPrice.mulWadDown(premiumMultipleWad);
            if (premium > most) premium = most;
        }
        return (unitPrice + premium) * amount;
    }

    /// @dev value x haircut x liquidation threshold / debt, in WAD, rounded down (against the borrower).
    function _healthFactor(
        Loan memory loan,
        Terms memory t,
        uint256 debt,
        uint256 unitPrice
    ) internal pure returns (uint256) {
        if (debt == 0) return type(uint256).max;
        uint256 limit = _collateralValue(unitPrice, loan.amount, loan.premium, loan.premiumMultipleWad)
            .mulBpsDown(t.haircutBps).mulBpsDown(t.liqThresholdBps);
        return limit.mulDivDown(PoolMath.WAD, debt);
    }

    /// @dev A loan in auction leaves the collection's exposure (sold, repaid in auction, or written off): its frozen
    /// debt leaves the auction debt and its principal leaves the borrower's. Both saturate at zero (a loan or an
    /// auction older than the fields).
    function _releaseAuction(PoolStorage storage $, Loan memory loan) internal {
        CollectionRisk storage rk = $.risk[loan.collection];
        uint256 frozen = rk.auctionDebt;
        rk.auctionDebt = uint128(frozen > loan.frozenDebt ? frozen - loan.frozenDebt : 0);
        _releasePrincipal($, loan.collection, loan.borrower, loan.principal);
    }

    /// @dev Lowers `borrower`'s outstanding principal in `collection_` by `amount`, saturating at zero.
    function _releasePrincipal(PoolStorage storage $, address collection_, address borrower, uint256 amount) internal {
        mapping(address => uint256) storage owed = $.borrowerPrincipal[collection_];
        uint256 current = owed[borrower];
        owed[borrower] = current > amount ? current - amount : 0;
    }

    /// @dev Removes scaled debt from a collection's total. Per-loan scaled debts sum exactly to the collection's, so
    /// the clamp at zero only guards against a future rounding change.
    function _removeCollectionDebt(PoolStorage storage $, address collection_, uint256 scaled) internal {
        CollectionState storage cs = $.collections[collection_];
        uint256 csScaled = cs.scaledDebt;
        cs.scaledDebt = uint112(csScaled > scaled ? csScaled - scaled : 0);
    }

    function _setRateConfig(RateConfig calldata config) internal {
        if (!KinkRate.isValid(_kink(config)) || config.reserveFactorBps > MAX_RESERVE_FACTOR_BPS) {
            revert InvalidRateConfig();
        }
        _s().rateConfig = config;
        emit RateConfigSet(config);
    }

    function _kink(RateConfig memory rc) internal pure returns (KinkRate.Params memory) {
        return KinkRate.Params({baseRate: rc.baseRate, slope1: rc.slope1, slope2: rc.slope2, kinkBps: rc.kinkBps});
    }

    /// @dev Pulls exactly `amount` of the asset or reverts: a short receipt means a fee-on-transfer asset.
    function _pullAsset(address from, uint256 amount) internal {
        uint256 before = ASSET.balanceOf(address(this));
        ASSET.safeTransferFrom(from, address(this), amount);
        uint256 received = ASSET.balanceOf(address(this)) - before;
        if (received != amount) revert FeeOnTransfer(amount, received);
    }

    /// @dev Credits the keeper's share of the penalty and the borrower's surplus as claimable balances, and their sum.
    function _credit(
        PoolStorage storage $,
        address keeper,
        uint256 keeperCut,
        address borrower,
        uint256 surplus
    ) internal {
        if (keeperCut != 0) $.claimable[keeper] += keeperCut;
        if (surplus != 0) $.claimable[borrower] += surplus;
        if (keeperCut + surplus != 0) $.totalClaimable = (uint256($.totalClaimable) + keeperCut + surplus).toUint96();
    }

    function _sendNft(Loan memory loan, Terms memory t, address to) internal {
        if (t.standard == ERC721_STANDARD) {
            INft(loan.collection).transferFrom(address(this), to, loan.tokenId);
        } else {
            INft(loan.collection).safeTransferFrom(address(this), to, loan.tokenId, loan.amount, "");
        }
    }

    /// @dev The collection slot is warm here (repay has just updated its debt), unlike the loan's terms record.
    function _returnCollateral(PoolStorage storage $, Loan memory loan) internal {
        if ($.collections[loan.collection].standard == ERC721_STANDARD) {
            INft(loan.collection).transferFrom(address(this), loan.borrower, loan.tokenId);
        } else {
            try INft(loan.collection).safeTransferFrom(address(this), loan.borrower, loan.tokenId, loan.amount, "") {}
            catch {
                // A borrower that refuses the units cannot block its own repayment: they wait for `claimNft`.
                $.nftClaims[keccak256(abi.encode(loan.borrower, loan.collection, loan.tokenId))] += loan.amount;
                emit NftClaimable(loan.borrower, loan.collection, loan.tokenId, loan.amount);
            }
        }
    }

    /// @dev The valuation's outage seconds for `collection_` up to now, a running outage included: what a new term
    /// starts from (`Loan.outageBase`) and what its due date is extended by (`_dueTime`).
    function _outageTotal(address collection_) internal view returns (uint256) {
        (uint64 since, uint64 cumulative) = VALUATION.outage(collection_);
        return since == 0 ? cumulative : cumulative + (block.timestamp - since);
    }

    /// @dev The loan's due date, extended by the outage seconds since its term began (no price, so no renewal and no
    /// liquidation, during them), by at most one term: a quiet collection's long outage does not defer its loans
    /// for ever.
    function _dueTime(Loan memory loan, Terms memory t, uint256 outageTotal) internal pure returns (uint256) {
        uint256 extension = outageTotal > loan.outageBase ? outageTotal - loan.outageBase : 0;
        return uint256(loan.dueTime) + (extension < t.duration ? extension : t.duration);
    }
}
