// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolAdmin} from "../interfaces/ILendingPoolAdmin.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {PoolBase} from "./PoolBase.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title LendingPoolAdmin
/// @notice The pool's administration (`ILendingPoolAdmin`): listing terms, exposure limits (ceilings, per-borrower and
/// unit caps), the guardian's switches (freeze, borrow pause), the rate curve, the liquidation module, the unlock
/// period, the custody address and the reserve. Every entry point is the timelock's or the guardian's. It runs only
/// by `delegatecall` from `LendingPoolExtension`'s fallback (itself reached from `LendingPool`'s), on the proxy's
/// storage; the extension deploys it in its own constructor, so a pool implementation is still deployed as the core
/// and its extension.
contract LendingPoolAdmin is PoolBase, ILendingPoolAdmin {
    using SafeTransferLib for address;

    constructor(address asset_, address valuation_) PoolBase(asset_, valuation_) {}

    /// @inheritdoc ILendingPoolAdmin
    function setTerms(
        address collection_,
        Terms calldata t,
        uint256 debtCeiling
    ) external onlyTimelock returns (uint32 termsId) {
        if (collection_ == address(0)) revert ZeroAddress();
        _checkTerms(t);
        if (debtCeiling > type(uint96).max) revert ExceedsStorageWidth(debtCeiling, type(uint96).max);
        // An auction must open above the value before any unflagged drop (start >= 1 / (1 - deviation)); the pool
        // also lifts the start to that bound at each auction, against the deviation then.
        uint256 minStart = PoolMath.minAuctionStartBps(VALUATION.deviationBps(collection_));
        if (t.auctionStartBps < minStart) revert AuctionStartBelowDeviation(t.auctionStartBps, minStart);
        PoolStorage storage $ = _s();
        CollectionState storage cs = $.collections[collection_];
        termsId = cs.termsId;
        if (termsId != 0 && cs.standard != t.standard) {
            revert TokenStandardMismatch(collection_, cs.standard, t.standard);
        }
        _accrueAndStore();
        termsId += 1;
        $.terms[collection_][termsId] = t;
        cs.termsId = termsId;
        cs.debtCeiling = uint96(debtCeiling);
        cs.standard = t.standard;
        emit TermsSet(collection_, termsId, t);
        emit DebtCeilingSet(collection_, debtCeiling);
    }

    /// @dev Reverts with the error that names the first field of `t` outside its bounds (see `ILendingPoolTypes`).
    function _checkTerms(Terms calldata t) internal pure {
        if (t.standard != ERC721_STANDARD && t.standard != ERC1155_STANDARD) revert UnknownTokenStandard(t.standard);
        if (t.ltvBps == 0 || t.ltvBps >= t.liqThresholdBps) revert LtvOutOfRange(t.ltvBps, t.liqThresholdBps);
        if (t.liqThresholdBps >= PoolMath.BPS) revert LiqThresholdNotBelowFull(t.liqThresholdBps);
        if (t.haircutBps == 0 || t.haircutBps > PoolMath.BPS) revert HaircutOutOfRange(t.haircutBps);
        if (t.penaltyBps > MAX_PENALTY_BPS) revert PenaltyAboveMax(t.penaltyBps, MAX_PENALTY_BPS);
        if (t.keeperShareBps > PoolMath.BPS) revert KeeperShareAboveFull(t.keeperShareBps);
        if (t.auctionReserveBps == 0 || t.auctionReserveBps > t.auctionStartBps) {
            revert AuctionReserveOutOfRange(t.auctionReserveBps, t.auctionStartBps);
        }
        if (t.duration == 0) revert ZeroLoanDuration();
        if (t.auctionDuration < MIN_AUCTION_DURATION || t.auctionDuration > MAX_AUCTION_DURATION) {
            revert AuctionDurationOutOfRange(t.auctionDuration, MIN_AUCTION_DURATION, MAX_AUCTION_DURATION);
        }
    }

    /// @inheritdoc ILendingPoolAdmin
    function setDebtCeiling(address collection_, uint256 ceiling) external onlyGuardian {
        CollectionState storage cs = _s().collections[collection_];
        if (cs.termsId == 0) revert TermsNotSet(collection_);
        if (ceiling > type(uint96).max) revert ExceedsStorageWidth(ceiling, type(uint96).max);
        if (msg.sender != timelock() && ceiling > cs.debtCeiling) revert NotTightening();
        cs.debtCeiling = uint96(ceiling);
        emit DebtCeilingSet(collection_, ceiling);
    }

    /// @inheritdoc ILendingPoolAdmin
    /// @dev A cap of 0 means "no cap of its own" (for the principal: the ceiling, which the
    /// timelock may later raise), so the guardian may not set 0 over a cap, nor a first principal cap above the ceiling.
    function setBorrowerCap(address collection_, uint256 cap, uint256 maxUnits) external onlyGuardian {
        PoolStorage storage $ = _s();
        CollectionState storage cs = $.collections[collection_];
        if (cs.termsId == 0) revert TermsNotSet(collection_);
        if (cap > type(uint96).max) revert ExceedsStorageWidth(cap, type(uint96).max);
        if (maxUnits > type(uint32).max) revert ExceedsStorageWidth(maxUnits, type(uint32).max);
        CollectionRisk storage rk = $.risk[collection_];
        if (msg.sender != timelock()) {
            if (_loosens(cap, rk.borrowerCap, cs.debtCeiling) || _loosens(maxUnits, rk.maxUnits, type(uint256).max)) {
                revert NotTightening();
            }
        }
        rk.borrowerCap = uint96(cap);
        rk.maxUnits = uint32(maxUnits);
        emit BorrowerCapSet(collection_, cap, maxUnits);
    }

    /// @dev Whether setting a cap (0 = none, read as `unlimited`) from `current` to `next` loosens it.
    function _loosens(uint256 next, uint256 current, uint256 unlimited) internal pure returns (bool) {
        return next == 0 ? current != 0 : next > (current == 0 ? unlimited : current);
    }

    /// @inheritdoc ILendingPoolAdmin
    function setCollectionFrozen(address collection_, bool frozen) external onlyGuardian {
        CollectionState storage cs = _s().collections[collection_];
        if (cs.termsId == 0) revert TermsNotSet(collection_);
        if (!frozen && msg.sender != timelock()) revert NotTightening();
        cs.frozen = frozen;
        emit CollectionFrozenSet(collection_, frozen);
    }

    /// @inheritdoc ILendingPoolAdmin
    function setRateConfig(RateConfig calldata config) external onlyTimelock {
        _accrueAndStore();
        _setRateConfig(config);
    }

    /// @inheritdoc ILendingPoolAdmin
    function pauseBorrows() external onlyGuardian {
        RateConfig storage rc = _s().rateConfig;
        rc.borrowPaused = true;
        emit RateConfigSet(rc);
    }

    /// @inheritdoc ILendingPoolAdmin
    /// @dev The module replaced keeps the right to settle the auctions it started before now.
    function setLiquidator(address liquidator_) external onlyTimelock {
        if (liquidator_ == address(0)) revert ZeroAddress();
        PoolStorage storage $ = _s();
        address old = $.liquidator;
        if (old != address(0) && old != liquidator_) $.retiredAt[old] = block.timestamp;
        delete $.retiredAt[liquidator_];
        $.liquidator = liquidator_;
        emit LiquidatorSet(liquidator_);
    }

    /// @inheritdoc ILendingPoolAdmin
    function setUnlockPeriod(uint256 period) external onlyTimelock {
        if (period < MIN_UNLOCK_PERIOD || period > MAX_UNLOCK_PERIOD) revert InvalidUnlockPeriod(period);
        _s().lock.period = uint32(period);
        emit UnlockPeriodSet(period);
    }

    /// @inheritdoc ILendingPoolAdmin
    function setCustody(address custody_) external onlyTimelock {
        if (custody_ == address(0)) revert ZeroAddress();
        _s().custody = custody_;
        emit CustodySet(custody_);
    }

    /// @inheritdoc ILendingPoolAdmin
    function withdrawReserve(uint256 amount, address to) external onlyTimelock nonReentrant {
        PoolStorage storage $ = _s();
        (Market memory m,) = _accrue();
        uint256 impaired = $.book.impairment;
        // Only the part of the reserve not already standing behind running auctions, and only from idle cash.
        uint256 free = m.reserve > impaired ? m.reserve - impaired : 0;
        if (free > m.cash) free = m.cash;
        if (amount == 0) revert ZeroAmount();
        if (amount > free) revert ReserveTooLow(amount, free);
        m.reserve -= uint104(amount);
        m.cash -= uint112(amount);
        _storeMarket(m);
        emit ReserveWithdrawn(to, amount);
        ASSET.safeTransfer(to, amount);
    }
}
