// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../interfaces/IValuation.sol";
import {KinkRate} from "../libraries/KinkRate.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {ValuationMath} from "../libraries/ValuationMath.sol";
import {INft, PoolBase} from "./PoolBase.sol";
import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title LendingPoolExtension
/// @notice The second half of the pool's implementation: ERC-4626 conversions and limits, read-only views, claims and
/// administration. It only ever runs by `delegatecall` from `LendingPool`'s fallback, on the proxy's storage; called
/// directly it sees empty storage (no timelock, nothing to claim) and can do nothing.
contract LendingPoolExtension is PoolBase {
    using PoolMath for uint256;
    using SafeCastLib for uint256;
    using SafeTransferLib for address;

    constructor(address asset_, address valuation_) PoolBase(asset_, valuation_) {}

    /*//////////////////////////////////////////////////////////////
                          ERC-4626 CONVERSIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev See {ILendingPool}. Served here too so the extension can be checked against its core.
    function asset() external view returns (address) {
        return ASSET;
    }

    /// @dev See {ILendingPool}.
    function totalAssets() external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return _totalAssets(m, r);
    }

    /// @dev See {ILendingPool}.
    function debtOf(Loan calldata loan) external view returns (uint256) {
        if (loan.auctionStart != 0) return loan.frozenDebt;
        (,, uint256 index) = _accruedView();
        return loan.scaledDebt.toDebtUp(index);
    }

    /// @dev See {ILendingPool}.
    function healthFactor(Loan calldata loan) external view returns (uint256) {
        (uint256 unitPrice, IValuation.Status status) = VALUATION.priceView(loan.collection);
        if (status != IValuation.Status.Ok) revert IValuation.ValuationUnavailable(loan.collection, status);
        (,, uint256 index) = _accruedView();
        uint256 debt = loan.auctionStart != 0 ? loan.frozenDebt : loan.scaledDebt.toDebtUp(index);
        return _healthFactor(_toMemory(loan), _loadTerms(loan.collection, loan.termsId), debt, unitPrice);
    }

    /// @dev See {ILendingPool}.
    function convertToShares(uint256 assets) external view returns (uint256) {
        return assets.toSharesDown(_currentTotalAssets(), totalSupply());
    }

    /// @dev See {ILendingPool}.
    function convertToAssets(uint256 shares) public view returns (uint256) {
        return shares.toAssetsDown(_currentTotalAssets(), totalSupply());
    }

    /// @dev See {ILendingPool}. What idle cash (112 bits) can still take; `deposit` of it mints at least one share
    /// unless the pool's assets are gone, when the limit is 0.
    function maxDeposit(address) public view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 room = type(uint112).max - m.cash;
        return room.toSharesDown(_entryAssets(m, r), totalSupply()) == 0 ? 0 : room;
    }

    /// @dev See {ILendingPool}. The shares `maxDeposit` buys, rounded down, so their price (rounded up) fits in it.
    function maxMint(address) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 room = type(uint112).max - m.cash;
        return room.toSharesDown(_entryAssets(m, r), totalSupply());
    }

    /// @dev See {ILendingPool}.
    function maxWithdraw(address owner) public view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 owned = balanceOf(owner).toAssetsDown(_totalAssets(m, r), totalSupply());
        return owned < m.cash ? owned : m.cash;
    }

    /// @dev See {ILendingPool}.
    function maxRedeem(address owner) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 assetsTotal = _totalAssets(m, r);
        uint256 supply = totalSupply();
        uint256 shares = balanceOf(owner);
        // Shares whose redemption the idle cash covers, rounded down so redeem(maxRedeem) never exceeds cash.
        uint256 cashShares = uint256(m.cash).toSharesDown(assetsTotal, supply);
        uint256 redeemable = shares < cashShares ? shares : cashShares;
        // `redeem` refuses shares worth nothing (ZeroAmount): never promise them.
        return redeemable.toAssetsDown(assetsTotal, supply) == 0 ? 0 : redeemable;
    }

    /// @dev See {ILendingPool}.
    function previewDeposit(uint256 assets) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return assets.toSharesDown(_entryAssets(m, r), totalSupply());
    }

    /// @dev See {ILendingPool}.
    function previewMint(uint256 shares) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return shares.toAssetsUp(_entryAssets(m, r), totalSupply());
    }

    /// @dev See {ILendingPool}.
    function previewWithdraw(uint256 assets) external view returns (uint256) {
        return assets.toSharesUp(_currentTotalAssets(), totalSupply());
    }

    /// @dev See {ILendingPool}.
    function previewRedeem(uint256 shares) external view returns (uint256) {
        return shares.toAssetsDown(_currentTotalAssets(), totalSupply());
    }

    /*//////////////////////////////////////////////////////////////
                                 CLAIMS
    //////////////////////////////////////////////////////////////*/

    /// @dev See {ILendingPool}.
    function claim(address to) external nonReentrant returns (uint256 amount) {
        PoolStorage storage $ = _s();
        amount = $.claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        uint256 owed = $.rewardsOwed;
        if (owed != 0) _fundRewards($, owed, amount);
        delete $.claimable[msg.sender];
        // The running total only feeds settlement's receipt check; a claim never fails on it (saturating).
        uint256 total = $.totalClaimable;
        // casting to 'uint96' is safe because the result is at most totalClaimable, a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        $.totalClaimable = uint96(total > amount ? total - amount : 0);
        emit Claim(msg.sender, to, amount);
        ASSET.safeTransfer(to, amount);
    }

    /// @dev See {ILendingPool}.
    function claimNft(address collection, uint256 tokenId, address to) external nonReentrant returns (uint256 amount) {
        PoolStorage storage $ = _s();
        bytes32 key = keccak256(abi.encode(msg.sender, collection, tokenId));
        amount = $.nftClaims[key];
        if (amount == 0) revert NothingToClaim(msg.sender);
        delete $.nftClaims[key];
        INft(collection).safeTransferFrom(address(this), to, tokenId, amount, "");
    }

    /// @dev See {ILendingPool}.
    function valuation() external view returns (address) {
        return address(VALUATION);
    }

    /// @dev See {ILendingPool}.
    function liquidator() external view returns (address) {
        return _s().liquidator;
    }

    /// @dev See {ILendingPool}.
    function custody() external view returns (address) {
        return _s().custody;
    }

    /// @dev See {ILendingPool}.
    function cash() external view returns (uint256) {
        return _s().market.cash;
    }

    /// @dev See {ILendingPool}.
    function reserve() external view returns (uint256) {
        (Market memory m,,) = _accruedView();
        return m.reserve;
    }

    /// @dev See {ILendingPool}.
    function totalDebt() external view returns (uint256) {
        (, Rates memory r,) = _accruedView();
        return uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex);
    }

    /// @dev See {ILendingPool}.
    function auctionDebt() external view returns (uint256) {
        return _s().book.auctionDebt;
    }

    /// @dev See {ILendingPool}.
    function impairment() external view returns (uint256) {
        return _s().book.impairment;
    }

    /// @dev See {ILendingPool}.
    function badDebt() external view returns (uint256 total, uint256 absorbedByReserve) {
        return (_s().totalBadDebt, _s().badDebtAbsorbed);
    }

    /// @dev See {ILendingPool}.
    function borrowIndex() external view returns (uint256) {
        (,, uint256 index) = _accruedView();
        return index;
    }

    /// @dev See {ILendingPool}.
    function borrowRate() external view returns (uint256 ratePerSecond, uint256 utilization) {
        (Market memory m, Rates memory r,) = _accruedView();
        utilization = KinkRate.utilization(m.cash, uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex));
        ratePerSecond = KinkRate.rate(_kink(_loadRateConfig()), utilization);
    }

    /// @dev See {ILendingPool}.
    function rateConfig() external view returns (RateConfig memory) {
        return _loadRateConfig();
    }

    /// @dev See {ILendingPool}.
    function terms(address collection_, uint32 termsId) external view returns (Terms memory) {
        return _loadTerms(collection_, termsId);
    }

    /// @dev See {ILendingPool}.
    function collectionState(address collection_)
        external
        view
        returns (uint32 termsId, uint256 debtCeiling, uint256 debt, bool frozen)
    {
        CollectionState memory cs = _s().collections[collection_];
        (,, uint256 index) = _accruedView();
        return (cs.termsId, cs.debtCeiling, uint256(cs.scaledDebt).toDebtUp(index), cs.frozen);
    }

    /// @dev See {ILendingPool}.
    function borrowerPrincipal(address collection_, address borrower) external view returns (uint256) {
        return _s().borrowerPrincipal[collection_][borrower];
    }

    /// @dev See {ILendingPool}.
    function claimable(address account) external view returns (uint256) {
        return _s().claimable[account];
    }

    /// @dev See {ILendingPool}.
    function rewardsOwed() external view returns (uint256) {
        return _s().rewardsOwed;
    }

    /// @dev See {ILendingPool}.
    function nftClaimable(address owner, address collection_, uint256 tokenId) external view returns (uint256) {
        return _s().nftClaims[keccak256(abi.encode(owner, collection_, tokenId))];
    }

    /// @dev See {ILendingPool}.
    function setTerms(
        address collection_,
        Terms calldata t,
        uint256 debtCeiling
    ) external onlyTimelock returns (uint32 termsId) {
        if (collection_ == address(0)) revert ZeroAddress();
        if (
            (t.standard != ERC721_STANDARD && t.standard != ERC1155_STANDARD) || t.ltvBps == 0
                || t.ltvBps >= t.liqThresholdBps || t.liqThresholdBps >= PoolMath.BPS || t.haircutBps == 0
                || t.haircutBps > PoolMath.BPS || t.penaltyBps > MAX_PENALTY_BPS || t.keeperShareBps > PoolMath.BPS
                || t.auctionReserveBps == 0 || t.auctionReserveBps > t.auctionStartBps || t.duration == 0
                || t.auctionDuration < MIN_AUCTION_DURATION || t.auctionDuration > MAX_AUCTION_DURATION
                || debtCeiling > type(uint96).max
        ) revert InvalidTerms();
        // An auction must open above the value before any unflagged drop (start >= 1 / (1 - deviation)); the pool
        // also lifts the start to that bound at each auction, against the deviation then.
        uint256 minStart = ValuationMath.minAuctionStartBps(VALUATION.deviationBps(collection_));
        if (t.auctionStartBps < minStart) revert AuctionStartBelowDeviation(t.auctionStartBps, minStart);
        PoolStorage storage $ = _s();
        CollectionState storage cs = $.collections[collection_];
        termsId = cs.termsId;
        if (termsId != 0 && cs.standard != t.standard) revert InvalidTerms();
        _accrueAndStore();
        termsId += 1;
        $.terms[collection_][termsId] = t;
        cs.termsId = termsId;
        cs.debtCeiling = uint96(debtCeiling);
        cs.standard = t.standard;
        emit TermsSet(collection_, termsId, t);
        emit DebtCeilingSet(collection_, debtCeiling);
    }

    /// @dev See {ILendingPool}.
    function setDebtCeiling(address collection_, uint256 ceiling) external onlyGuardian {
        CollectionState storage cs = _s().collections[collection_];
        if (cs.termsId == 0) revert CollectionNotListed(collection_);
        if (ceiling > type(uint96).max) revert InvalidTerms();
        if (msg.sender != timelock() && ceiling > cs.debtCeiling) revert NotTightening();
        cs.debtCeiling = uint96(ceiling);
        emit DebtCeilingSet(collection_, ceiling);
    }

    /// @dev See {ILendingPool}. A cap of 0 means "no cap of its own" (for the principal: the ceiling, which the
    /// timelock may later raise), so the guardian may not set 0 over a cap, nor a first principal cap above the ceiling.
    function setBorrowerCap(address collection_, uint256 cap, uint256 maxUnits) external onlyGuardian {
        PoolStorage storage $ = _s();
        CollectionState storage cs = $.collections[collection_];
        if (cs.termsId == 0) revert CollectionNotListed(collection_);
        if (cap > type(uint96).max || maxUnits > type(uint32).max) revert InvalidTerms();
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

    /// @dev See {ILendingPool}.
    function setCollectionFrozen(address collection_, bool frozen) external onlyGuardian {
        CollectionState storage cs = _s().collections[collection_];
        if (cs.termsId == 0) revert CollectionNotListed(collection_);
        if (!frozen && msg.sender != timelock()) revert NotTightening();
        cs.frozen = frozen;
        emit CollectionFrozenSet(collection_, frozen);
    }

    /// @dev See {ILendingPool}.
    function setRateConfig(RateConfig calldata config) external onlyTimelock {
        _accrueAndStore();
        _setRateConfig(config);
    }

    /// @dev See {ILendingPool}.
    function pauseBorrows() external onlyGuardian {
        RateConfig storage rc = _s().rateConfig;
        rc.borrowPaused = true;
        emit RateConfigSet(rc);
    }

    /// @dev See {ILendingPool}. The module replaced keeps the right to settle the auctions it started before now.
    function setLiquidator(address liquidator_) external onlyTimelock {
        if (liquidator_ == address(0)) revert ZeroAddress();
        PoolStorage storage $ = _s();
        address old = $.liquidator;
        if (old != address(0) && old != liquidator_) $.retiredAt[old] = block.timestamp;
        delete $.retiredAt[liquidator_];
        $.liquidator = liquidator_;
        emit LiquidatorSet(liquidator_);
    }

    /// @dev See {ILendingPool}.
    function setUnlockPeriod(uint256 period) external onlyTimelock {
        if (period < MIN_UNLOCK_PERIOD || period > MAX_UNLOCK_PERIOD) revert InvalidUnlockPeriod(period);
        _s().lock.period = uint32(period);
        emit UnlockPeriodSet(period);
    }

    /// @dev See {ILendingPool}.
    function unlockPeriod() external view returns (uint256) {
        uint256 period = _s().lock.period;
        return period == 0 ? DEFAULT_UNLOCK_PERIOD : period;
    }

    /// @dev See {ILendingPool}.
    function lockedRecovery() external view returns (uint256 locked, uint256 until) {
        RecoveryLock memory l = _s().lock;
        return (_lockedNow(l), l.until > block.timestamp ? l.until : 0);
    }

    /// @dev See {ILendingPool}.
    function bookRecovery(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        (Market memory m,) = _accrue();
        m.cash = (uint256(m.cash) + amount).toUint112();
        _lockGain(m, amount);
        _storeMarket(m);
        emit RecoveryBooked(msg.sender, amount);
        _pullAsset(msg.sender, amount);
    }

    /// @dev See {ILendingPool}. Reached through `repay` (which forwards a loan in auction here) or directly.
    function repayInAuction(
        uint256 loanId,
        Loan calldata loanIn,
        uint256 amount
    ) external nonReentrant returns (uint256 paid, Loan memory updated) {
        PoolStorage storage $ = _s();
        if (amount == 0) revert ZeroAmount();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        if (loan.auctionStart == 0) revert LoanNotInAuction(loanId);
        (Market memory m,) = _accrue(); // stored below
        // Only a full repayment, of the frozen debt plus the penalty, which cancels the auction.
        Terms memory t = _loadTerms(loan.collection, loan.termsId);
        uint256 penalty = loan.frozenDebt.mulBpsUp(t.penaltyBps);
        paid = loan.frozenDebt + penalty;
        if (amount < paid) revert InsufficientLiquidity(amount, paid);
        AuctionBook memory book = _loadBook();
        int256 before = _bookedAssets(m, book);
        book.auctionDebt -= uint128(loan.frozenDebt);
        book.impairment -= uint128(loan.impairment);
        m.cash += uint112(paid);
        m.reserve += uint104(penalty);
        _storeBook(m, book);
        // The debt and penalty recovered reach the lenders over the unlock period, not in this block.
        _lockRecovery(m, book, before);
        _storeMarket(m);
        _releaseAuction($, loan);
        delete $.loans[loanId];
        emit LoanRepaid(loanId, msg.sender, paid);

        // Interactions: take the payment, then return the collateral.
        _pullAsset(msg.sender, paid);
        _returnCollateral($, loan);
        return (paid, updated);
    }

    /// @dev See {ILendingPool}.
    function settleUnsold(
        uint256 loanId,
        Loan calldata loanIn,
        address settler,
        bool close
    ) external nonReentrant returns (uint256 writtenOff, Loan memory updated) {
        PoolStorage storage $ = _s();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        _checkLiquidator($, loan);
        if (loan.auctionStart == 0) revert LoanNotInAuction(loanId);
        (Market memory m,) = _accrue(); // stored below
        AuctionBook memory book = _loadBook();
        int256 before = _bookedAssets(m, book);

        // The settler's reward, from what the auction's impairment set aside for it: paid from idle cash, and what
        // cash cannot cover (a fully lent pool) is owed, credited all the same and paid in when cash returns (claim).
        uint256 budget = loan.impairment > loan.frozenDebt ? loan.impairment - loan.frozenDebt : 0;
        uint256 reward = uint256(loan.frozenDebt).mulBpsUp(SETTLE_REWARD_BPS);
        if (reward > budget) reward = budget;
        if (reward != 0) {
            uint256 paidNow = reward < m.cash ? reward : m.cash;
            uint256 owed = reward - paidNow;
            m.cash -= uint112(paidNow);
            m.reserve -= uint104(reward < m.reserve ? reward : m.reserve);
            book.impairment -= uint128(reward);
            _credit($, settler, paidNow, address(0), 0);
            if (owed != 0) {
                $.claimable[settler] += owed;
                $.rewardsOwed += owed;
                // The liability replaces the impairment it came from: not a recovery to lock.
                before += int256(owed);
            }
        }
        updated = _copyLoan(loan);
        updated.impairment = loan.impairment - reward;

        if (close) {
            writtenOff = loan.frozenDebt;
            book.auctionDebt -= uint128(writtenOff);
            book.impairment -= uint128(updated.impairment);
            _writeOff($, m, loanId, writtenOff);
            _releaseAuction($, loan);
            delete $.loans[loanId];
        } else {
            $.loans[loanId] = _hash(updated);
        }
        _storeBook(m, book);
        _lockRecovery(m, book, before);
        _storeMarket(m);
        emit SettlerPaid(loanId, settler, reward);
        if (close) {
            emit AuctionSettled(loanId, address(0), 0, 0, 0, writtenOff);
            // Interaction: the unsold NFT to custody, whose later sale `bookRecovery` brings back to the lenders.
            _sendNft(loan, _loadTerms(loan.collection, loan.termsId), $.custody);
        } else {
            emit AuctionRelisted(loanId, settler, updated);
        }
    }

    /// @dev See {ILendingPool}.
    function setCustody(address custody_) external onlyTimelock {
        if (custody_ == address(0)) revert ZeroAddress();
        _s().custody = custody_;
        emit CustodySet(custody_);
    }

    /// @dev See {ILendingPool}.
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

    /// @dev Pays settlers' rewards owed (credited while idle cash was short) out of idle cash, as far as it goes: the
    /// cash and the liability fall together, so lenders' assets do not move. A claim then goes through only if the
    /// balance left for claims (balance minus idle cash) covers it, so an unfunded reward never takes lenders' cash.
    function _fundRewards(PoolStorage storage $, uint256 owed, uint256 amount) internal {
        (Market memory m,) = _accrue(); // stored below
        uint256 paidIn = owed < m.cash ? owed : m.cash;
        if (paidIn != 0) {
            m.cash -= uint112(paidIn);
            $.rewardsOwed = owed - paidIn;
            $.totalClaimable = (uint256($.totalClaimable) + paidIn).toUint96();
        }
        _storeMarket(m);
        if (owed != paidIn) {
            uint256 balance = ASSET.balanceOf(address(this));
            uint256 available = balance > m.cash ? balance - m.cash : 0;
            if (amount > available) revert ClaimNotFunded(amount, available);
        }
    }

    /// @dev Lenders' total assets, as the core computes them.
    function _currentTotalAssets() internal view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return _totalAssets(m, r);
    }
}
