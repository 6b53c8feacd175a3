// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "./admin/Governed.sol";
import {ILendingPool} from "./interfaces/ILendingPool.sol";
import {IValuation} from "./interfaces/IValuation.sol";
import {KinkRate} from "./libraries/KinkRate.sol";
import {PoolMath} from "./libraries/PoolMath.sol";
import {ERC20} from "solady/tokens/ERC20.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

interface INft {
    function transferFrom(address from, address to, uint256 tokenId) external;
    function getApproved(uint256 tokenId) external view returns (address);
    function isApprovedForAll(address owner, address operator) external view returns (bool);
    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata data) external;
}

/// @title LendingPool
/// @notice One pool per borrow asset: ERC-4626 lender shares, loans against ERC-721 and ERC-1155 collateral at the
/// kink rate, and honest loss accounting (impairment at auction start, write-off at settlement).
/// @dev Storage: one ERC-7201 struct. Hot state is packed into three slots (market, rates, rate config) so a borrow
/// or a repay touches each once. Loans are hash commitments (see ILendingPool).
contract LendingPool is ILendingPool, Governed, ERC20, ReentrancyGuardTransient {
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
    uint256 internal constant MAX_PREMIUM_WAD = 10e18;

    /*//////////////////////////////////////////////////////////////
                               IMMUTABLES
    //////////////////////////////////////////////////////////////*/

    address internal immutable ASSET;
    IValuation internal immutable VALUATION;
    uint8 internal immutable SHARE_DECIMALS;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev 32 bytes: idle cash (14) | first-loss reserve (13) | next loan id (5).
    struct Market {
        uint112 cash;
        uint104 reserve;
        uint40 nextLoanId;
    }

    /// @dev 32 bytes: live scaled debt (14) | borrow index, WAD (13) | last accrual (5).
    struct Rates {
        uint112 totalScaledDebt;
        uint104 borrowIndex;
        uint40 lastUpdate;
    }

    /// @dev 32 bytes: debt frozen in auctions (16) | their expected loss at reserve prices (16).
    struct AuctionBook {
        uint128 auctionDebt;
        uint128 impairment;
    }

    /// @dev 31 bytes: live scaled debt (14) | debt ceiling in assets (12) | current terms id (4) | frozen (1).
    struct CollectionState {
        uint112 scaledDebt;
        uint96 debtCeiling;
        uint32 termsId;
        bool frozen;
    }

    /// @custom:storage-location erc7201:nftlend.storage.LendingPool
    struct PoolStorage {
        Market market;
        Rates rates;
        RateConfig rateConfig;
        AuctionBook book;
        address liquidator;
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
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.LendingPool")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant POOL_SLOT = 0x8286a04a6b95a5e1e0ac9d5e9ddcb2c6b2b77a79c7d0e1d7d26e2da6cdf44a00;

    function _s() internal pure returns (PoolStorage storage $) {
        assembly ("memory-safe") {
            $.slot := POOL_SLOT
        }
    }

    /*//////////////////////////////////////////////////////////////
                        CONSTRUCTOR / INITIALIZER
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
    }

    /// @notice Initialises a proxy. `config` must satisfy the rate bounds.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address timelock_,
        address guardian_,
        address custody_,
        RateConfig calldata config
    ) external initializer {
        if (custody_ == address(0)) revert ZeroAddress();
        __Governed_init(timelock_, guardian_);
        PoolStorage storage $ = _s();
        $.name = name_;
        $.symbol = symbol_;
        $.custody = custody_;
        $.rates = Rates({totalScaledDebt: 0, borrowIndex: uint104(PoolMath.WAD), lastUpdate: uint40(block.timestamp)});
        $.market.nextLoanId = 1;
        _setRateConfig(config);
    }

    /*//////////////////////////////////////////////////////////////
                               ERC-20 SHARES
    //////////////////////////////////////////////////////////////*/

    function name() public view override returns (string memory) {
        return _s().name;
    }

    function symbol() public view override returns (string memory) {
        return _s().symbol;
    }

    function decimals() public view override returns (uint8) {
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
                              ERC-4626 LP SIDE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPool
    function asset() external view returns (address) {
        return ASSET;
    }

    /// @inheritdoc ILendingPool
    function totalAssets() public view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return _totalAssets(m, r, _s().book);
    }

    /// @inheritdoc ILendingPool
    function convertToShares(uint256 assets) external view returns (uint256) {
        return assets.toSharesDown(totalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPool
    function convertToAssets(uint256 shares) public view returns (uint256) {
        return shares.toAssetsDown(totalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPool
    function maxDeposit(address) external pure returns (uint256) {
        return type(uint112).max;
    }

    /// @inheritdoc ILendingPool
    function maxMint(address) external pure returns (uint256) {
        return type(uint112).max;
    }

    /// @inheritdoc ILendingPool
    function maxWithdraw(address owner) public view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 owned = balanceOf(owner).toAssetsDown(_totalAssets(m, r, _s().book), totalSupply());
        return owned < m.cash ? owned : m.cash;
    }

    /// @inheritdoc ILendingPool
    function maxRedeem(address owner) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 assetsTotal = _totalAssets(m, r, _s().book);
        uint256 supply = totalSupply();
        uint256 shares = balanceOf(owner);
        // Shares whose redemption the idle cash covers, rounded down so redeem(maxRedeem) never exceeds cash.
        uint256 cashShares = uint256(m.cash).toSharesDown(assetsTotal, supply);
        return shares < cashShares ? shares : cashShares;
    }

    /// @inheritdoc ILendingPool
    function previewDeposit(uint256 assets) external view returns (uint256) {
        return assets.toSharesDown(totalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPool
    function previewMint(uint256 shares) external view returns (uint256) {
        return shares.toAssetsUp(totalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPool
    function previewWithdraw(uint256 assets) external view returns (uint256) {
        return assets.toSharesUp(totalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPool
    function previewRedeem(uint256 shares) external view returns (uint256) {
        return shares.toAssetsDown(totalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPool
    function deposit(uint256 assets, address receiver) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        (Market memory m, Rates memory r) = _accrue();
        // Shares minted round down: the depositor never gets more than it paid for.
        shares = assets.toSharesDown(_totalAssets(m, r, _s().book), totalSupply());
        if (shares == 0) revert ZeroShares();
        _deposit(m, assets, shares, receiver);
    }

    /// @inheritdoc ILendingPool
    function mint(uint256 shares, address receiver) external nonReentrant returns (uint256 assets) {
        if (shares == 0) revert ZeroShares();
        (Market memory m, Rates memory r) = _accrue();
        // Assets charged round up.
        assets = shares.toAssetsUp(_totalAssets(m, r, _s().book), totalSupply());
        _deposit(m, assets, shares, receiver);
    }

    /// @inheritdoc ILendingPool
    function withdraw(uint256 assets, address receiver, address owner) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        (Market memory m, Rates memory r) = _accrue();
        // Shares burned round up.
        shares = assets.toSharesUp(_totalAssets(m, r, _s().book), totalSupply());
        _withdraw(m, assets, shares, receiver, owner);
    }

    /// @inheritdoc ILendingPool
    function redeem(uint256 shares, address receiver, address owner) external nonReentrant returns (uint256 assets) {
        if (shares == 0) revert ZeroShares();
        (Market memory m, Rates memory r) = _accrue();
        // Assets paid round down.
        assets = shares.toAssetsDown(_totalAssets(m, r, _s().book), totalSupply());
        if (assets == 0) revert ZeroAmount();
        _withdraw(m, assets, shares, receiver, owner);
    }

    /*//////////////////////////////////////////////////////////////
                                 LOANS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPool
    function borrow(
        address collection,
        uint256 tokenId,
        uint256 amount,
        uint256 principal,
        address owner,
        uint256 premium,
        bytes32[] calldata proof
    ) external nonReentrant returns (uint256 loanId, Loan memory loan) {
        loan.borrower = owner;
        loan.collection = collection;
        loan.tokenId = tokenId;
        loan.amount = amount;
        loan.principal = principal;
        loanId = _borrow(loan, premium, proof);
    }

    /// @dev The body of `borrow`, over the loan being built in memory (keeps the stack shallow).
    function _borrow(Loan memory loan, uint256 premium, bytes32[] calldata proof) internal returns (uint256 loanId) {
        PoolStorage storage $ = _s();
        (Market memory m, Rates memory r) = _accrue();

        // Checks (the valuation is a trusted read).
        Terms memory t = _checkBorrow($, loan, m.cash);
        uint256 unitPrice = VALUATION.price(loan.collection);
        if (proof.length != 0) loan.premiumWad = _premium(loan, premium, proof, unitPrice);
        _checkLtv(loan, t, unitPrice);
        // Scaled debt rounds up: the loan owes at least its principal.
        loan.scaledDebt = loan.principal.toScaledUp(r.borrowIndex);
        loan.termsId = _addCollectionDebt($, loan.collection, loan.scaledDebt, r.borrowIndex);

        // Effects.
        loanId = m.nextLoanId;
        loan.startTime = uint40(block.timestamp);
        loan.dueTime = uint40(block.timestamp + t.duration);
        $.loans[loanId] = _hash(loan);
        m.nextLoanId = uint40(loanId + 1);
        m.cash -= uint112(loan.principal);
        $.market = m;
        r.totalScaledDebt = (uint256(r.totalScaledDebt) + loan.scaledDebt).toUint112();
        $.rates = r;
        emit Borrow(loanId, loan.borrower, msg.sender, loan.principal, loan);

        // Interactions: pull the collateral, then pay out.
        if (t.standard == ERC721_STANDARD) {
            INft(loan.collection).transferFrom(loan.borrower, address(this), loan.tokenId);
        } else {
            INft(loan.collection).safeTransferFrom(loan.borrower, address(this), loan.tokenId, loan.amount, "");
        }
        ASSET.safeTransfer(msg.sender, loan.principal);
    }

    /// @inheritdoc ILendingPool
    function repay(
        uint256 loanId,
        Loan calldata loan,
        uint256 amount
    ) external nonReentrant returns (uint256 paid, Loan memory updated) {
        PoolStorage storage $ = _s();
        if (amount == 0) revert ZeroAmount();
        _checkLoan($, loanId, loan);
        (Market memory m, Rates memory r) = _accrue();
        bool closed;

        if (loan.auctionStart != 0) {
            // In auction: only a full repayment, of the frozen debt plus the penalty, which cancels the auction.
            Terms memory t = $.terms[loan.collection][loan.termsId];
            uint256 penalty = loan.frozenDebt.mulBpsUp(t.penaltyBps);
            paid = loan.frozenDebt + penalty;
            if (amount < paid) revert InsufficientLiquidity(amount, paid);
            AuctionBook memory book = $.book;
            book.auctionDebt -= uint128(loan.frozenDebt);
            book.impairment -= uint128(loan.impairment);
            $.book = book;
            m.cash += uint112(paid);
            m.reserve += uint104(penalty);
            closed = true;
        } else {
            uint256 debt = loan.scaledDebt.toDebtUp(r.borrowIndex);
            paid = amount < debt ? amount : debt;
            uint256 scaledRepaid;
            if (paid == debt) {
                scaledRepaid = loan.scaledDebt;
                closed = true;
            } else {
                // Partial: the scaled debt removed rounds down, so the borrower never pays less than it owes.
                scaledRepaid = paid.toScaledDown(r.borrowIndex);
                uint256 remaining = debt - paid;
                uint256 minLoan = $.rateConfig.minLoan;
                if (remaining < minLoan) revert LoanTooSmall(remaining, minLoan);
                updated = loan;
                updated.scaledDebt = loan.scaledDebt - scaledRepaid;
                // Interest is paid before principal.
                uint256 interest = debt > loan.principal ? debt - loan.principal : 0;
                updated.principal = paid > interest ? loan.principal - (paid - interest) : loan.principal;
            }
            r.totalScaledDebt -= uint112(scaledRepaid);
            $.rates = r;
            _removeCollectionDebt($, loan.collection, scaledRepaid);
            m.cash += uint112(paid);
        }
        $.market = m;
        if (closed) {
            delete $.loans[loanId];
        } else {
            $.loans[loanId] = _hash(updated);
        }
        emit Repay(loanId, msg.sender, paid, closed, updated);

        // Interactions: take the payment, then return the collateral.
        _pullAsset(msg.sender, paid);
        if (closed) _returnCollateral($, loan);
    }

    /// @inheritdoc ILendingPool
    function renew(
        uint256 loanId,
        Loan calldata loan
    ) external nonReentrant returns (uint256 interestPaid, Loan memory updated) {
        PoolStorage storage $ = _s();
        _checkLoan($, loanId, loan);
        if (loan.auctionStart != 0) revert LoanInAuction(loanId);
        if (block.timestamp > loan.dueTime) revert LoanExpired(loanId, loan.dueTime);
        (Market memory m, Rates memory r) = _accrue();
        Terms memory t = $.terms[loan.collection][loan.termsId];
        uint256 debt = loan.scaledDebt.toDebtUp(r.borrowIndex);
        uint256 hf = _healthFactor(loan, t, debt, VALUATION.price(loan.collection));
        if (hf < PoolMath.WAD) revert LoanUnhealthy(loanId, hf);

        interestPaid = debt > loan.principal ? debt - loan.principal : 0;
        uint256 newScaled = loan.principal.toScaledUp(r.borrowIndex);
        updated = loan;
        updated.scaledDebt = newScaled;
        updated.dueTime = uint40(block.timestamp + t.duration);
        r.totalScaledDebt = (uint256(r.totalScaledDebt) - loan.scaledDebt + newScaled).toUint112();
        $.rates = r;
        CollectionState storage cs = $.collections[loan.collection];
        cs.scaledDebt = (uint256(cs.scaledDebt) + newScaled - loan.scaledDebt).toUint112();
        m.cash += uint112(interestPaid);
        $.market = m;
        $.loans[loanId] = _hash(updated);
        emit Renew(loanId, interestPaid, updated);

        if (interestPaid != 0) _pullAsset(msg.sender, interestPaid);
    }

    /// @inheritdoc ILendingPool
    function debtOf(Loan calldata loan) external view returns (uint256) {
        if (loan.auctionStart != 0) return loan.frozenDebt;
        (,, uint256 index) = _accruedView();
        return loan.scaledDebt.toDebtUp(index);
    }

    /// @inheritdoc ILendingPool
    function healthFactor(Loan calldata loan) external view returns (uint256) {
        (uint256 unitPrice, IValuation.Status status) = VALUATION.priceView(loan.collection);
        if (status != IValuation.Status.Ok) revert IValuation.ValuationUnavailable(loan.collection, status);
        (,, uint256 index) = _accruedView();
        uint256 debt = loan.auctionStart != 0 ? loan.frozenDebt : loan.scaledDebt.toDebtUp(index);
        return _healthFactor(loan, _s().terms[loan.collection][loan.termsId], debt, unitPrice);
    }

    /// @inheritdoc ILendingPool
    function loanHash(uint256 loanId) external view returns (bytes32) {
        return _s().loans[loanId];
    }

    /*//////////////////////////////////////////////////////////////
                           LIQUIDATION MODULE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPool
    function startAuction(
        uint256 loanId,
        Loan calldata loan,
        address keeper
    ) external nonReentrant returns (AuctionTerms memory at, Loan memory updated) {
        PoolStorage storage $ = _s();
        if (msg.sender != $.liquidator) revert NotLiquidator(msg.sender);
        _checkLoan($, loanId, loan);
        if (loan.auctionStart != 0) revert LoanInAuction(loanId);
        (, Rates memory r) = _accrue();
        Terms memory t = $.terms[loan.collection][loan.termsId];
        uint256 debt = loan.scaledDebt.toDebtUp(r.borrowIndex);
        at = _auctionTerms(loanId, loan, t, debt);

        updated = loan;
        updated.frozenDebt = debt;
        updated.auctionStart = uint40(block.timestamp);
        updated.scaledDebt = 0;
        // Expected loss if the NFT sells only at its reserve price; booked now so no lender exits ahead of it.
        uint256 impairment_ = debt > at.reservePrice ? debt - at.reservePrice : 0;
        updated.impairment = impairment_;

        r.totalScaledDebt -= uint112(loan.scaledDebt);
        $.rates = r;
        _removeCollectionDebt($, loan.collection, loan.scaledDebt);
        AuctionBook memory book = $.book;
        book.auctionDebt += debt.toUint128();
        book.impairment += impairment_.toUint128();
        $.book = book;
        $.loans[loanId] = _hash(updated);
        emit AuctionStarted(loanId, keeper, impairment_, updated);
    }

    /// @inheritdoc ILendingPool
    function settleAuction(
        uint256 loanId,
        Loan calldata loan,
        address buyer,
        uint256 proceeds,
        address keeper
    ) external nonReentrant returns (uint256 shortfall) {
        PoolStorage storage $ = _s();
        if (msg.sender != $.liquidator) revert NotLiquidator(msg.sender);
        _checkLoan($, loanId, loan);
        if (loan.auctionStart == 0) revert LoanNotInAuction(loanId);
        _accrue();
        shortfall = _settle($, loanId, loan, buyer, proceeds, keeper);

        // Interaction: the NFT to the buyer (the caller of the auction, so it cannot freeze anyone else), or to the
        // custody address when nobody bid.
        _sendNft(loan, buyer == address(0) ? $.custody : buyer);
    }

    /// @inheritdoc ILendingPool
    function claim(address to) external nonReentrant returns (uint256 amount) {
        PoolStorage storage $ = _s();
        amount = $.claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        delete $.claimable[msg.sender];
        emit Claim(msg.sender, to, amount);
        ASSET.safeTransfer(to, amount);
    }

    /// @inheritdoc ILendingPool
    function claimNft(address collection, uint256 tokenId, address to) external nonReentrant returns (uint256 amount) {
        PoolStorage storage $ = _s();
        bytes32 key = keccak256(abi.encode(msg.sender, collection, tokenId));
        amount = $.nftClaims[key];
        if (amount == 0) revert NothingToClaim(msg.sender);
        delete $.nftClaims[key];
        INft(collection).safeTransferFrom(address(this), to, tokenId, amount, "");
    }

    /// @notice Accepts ERC-1155 units only when the pool itself pulls them (borrow); unsolicited transfers revert.
    function onERC1155Received(
        address operator,
        address,
        uint256,
        uint256,
        bytes calldata
    ) external view returns (bytes4) {
        if (operator != address(this)) revert UnsolicitedTransfer(operator);
        return this.onERC1155Received.selector;
    }

    /// @notice Batch transfers are never solicited by the pool.
    function onERC1155BatchReceived(
        address operator,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external pure returns (bytes4) {
        revert UnsolicitedTransfer(operator);
    }

    /// @notice ERC-165: the pool is an ERC-1155 receiver.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == 0x4e2312e0;
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPool
    function valuation() external view returns (address) {
        return address(VALUATION);
    }

    /// @inheritdoc ILendingPool
    function liquidator() external view returns (address) {
        return _s().liquidator;
    }

    /// @inheritdoc ILendingPool
    function custody() external view returns (address) {
        return _s().custody;
    }

    /// @inheritdoc ILendingPool
    function cash() external view returns (uint256) {
        return _s().market.cash;
    }

    /// @inheritdoc ILendingPool
    function reserve() external view returns (uint256) {
        (Market memory m,,) = _accruedView();
        return m.reserve;
    }

    /// @inheritdoc ILendingPool
    function totalDebt() external view returns (uint256) {
        (, Rates memory r,) = _accruedView();
        return uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex);
    }

    /// @inheritdoc ILendingPool
    function auctionDebt() external view returns (uint256) {
        return _s().book.auctionDebt;
    }

    /// @inheritdoc ILendingPool
    function impairment() external view returns (uint256) {
        return _s().book.impairment;
    }

    /// @inheritdoc ILendingPool
    function badDebt() external view returns (uint256 total, uint256 absorbedByReserve) {
        return (_s().totalBadDebt, _s().badDebtAbsorbed);
    }

    /// @inheritdoc ILendingPool
    function borrowIndex() external view returns (uint256) {
        (,, uint256 index) = _accruedView();
        return index;
    }

    /// @inheritdoc ILendingPool
    function borrowRate() external view returns (uint256 ratePerSecond, uint256 utilization) {
        (Market memory m, Rates memory r,) = _accruedView();
        utilization = KinkRate.utilization(m.cash, uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex));
        ratePerSecond = KinkRate.rate(_kink(_s().rateConfig), utilization);
    }

    /// @inheritdoc ILendingPool
    function rateConfig() external view returns (RateConfig memory) {
        return _s().rateConfig;
    }

    /// @inheritdoc ILendingPool
    function terms(address collection_, uint32 termsId) external view returns (Terms memory) {
        return _s().terms[collection_][termsId];
    }

    /// @inheritdoc ILendingPool
    function collectionState(address collection_)
        external
        view
        returns (uint32 termsId, uint256 debtCeiling, uint256 debt, bool frozen)
    {
        CollectionState memory cs = _s().collections[collection_];
        (,, uint256 index) = _accruedView();
        return (cs.termsId, cs.debtCeiling, uint256(cs.scaledDebt).toDebtUp(index), cs.frozen);
    }

    /// @inheritdoc ILendingPool
    function claimable(address account) external view returns (uint256) {
        return _s().claimable[account];
    }

    /// @inheritdoc ILendingPool
    function nftClaimable(address owner, address collection_, uint256 tokenId) external view returns (uint256) {
        return _s().nftClaims[keccak256(abi.encode(owner, collection_, tokenId))];
    }

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPool
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
        PoolStorage storage $ = _s();
        CollectionState storage cs = $.collections[collection_];
        termsId = cs.termsId;
        if (termsId != 0 && $.terms[collection_][termsId].standard != t.standard) revert InvalidTerms();
        _accrue();
        termsId += 1;
        $.terms[collection_][termsId] = t;
        cs.termsId = termsId;
        cs.debtCeiling = uint96(debtCeiling);
        emit TermsSet(collection_, termsId, t);
        emit DebtCeilingSet(collection_, debtCeiling);
    }

    /// @inheritdoc ILendingPool
    function setDebtCeiling(address collection_, uint256 ceiling) external onlyGuardian {
        CollectionState storage cs = _s().collections[collection_];
        if (cs.termsId == 0) revert CollectionNotListed(collection_);
        if (ceiling > type(uint96).max) revert InvalidTerms();
        if (msg.sender != timelock() && ceiling > cs.debtCeiling) revert NotTightening();
        cs.debtCeiling = uint96(ceiling);
        emit DebtCeilingSet(collection_, ceiling);
    }

    /// @inheritdoc ILendingPool
    function setCollectionFrozen(address collection_, bool frozen) external onlyGuardian {
        CollectionState storage cs = _s().collections[collection_];
        if (cs.termsId == 0) revert CollectionNotListed(collection_);
        if (!frozen && msg.sender != timelock()) revert NotTightening();
        cs.frozen = frozen;
        emit CollectionFrozenSet(collection_, frozen);
    }

    /// @inheritdoc ILendingPool
    function setRateConfig(RateConfig calldata config) external onlyTimelock {
        _accrue();
        _setRateConfig(config);
    }

    /// @inheritdoc ILendingPool
    function pauseBorrows() external onlyGuardian {
        RateConfig storage rc = _s().rateConfig;
        rc.borrowPaused = true;
        emit RateConfigSet(rc);
    }

    /// @inheritdoc ILendingPool
    function setLiquidator(address liquidator_) external onlyTimelock {
        if (liquidator_ == address(0)) revert ZeroAddress();
        _s().liquidator = liquidator_;
        emit LiquidatorSet(liquidator_);
    }

    /// @inheritdoc ILendingPool
    function setCustody(address custody_) external onlyTimelock {
        if (custody_ == address(0)) revert ZeroAddress();
        _s().custody = custody_;
    }

    /// @inheritdoc ILendingPool
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
        $.market = m;
        emit ReserveWithdrawn(to, amount);
        ASSET.safeTransfer(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Accrues interest to now and stores it. Returns the updated market and rates, ready to be modified and
    /// stored again by the caller (a second write to the same slot costs little).
    function _accrue() internal returns (Market memory m, Rates memory r) {
        PoolStorage storage $ = _s();
        m = $.market;
        r = $.rates;
        if (r.lastUpdate == block.timestamp) return (m, r);
        (uint256 interest, uint256 toReserve) = _interest(m, r, $.rateConfig);
        r.lastUpdate = uint40(block.timestamp);
        $.rates = r;
        if (toReserve != 0) {
            m.reserve = (uint256(m.reserve) + toReserve).toUint104();
            $.market = m;
        }
        if (interest != 0) emit Accrue(r.borrowIndex, interest, toReserve);
    }

    /// @dev The view twin of `_accrue`.
    function _accruedView() internal view returns (Market memory m, Rates memory r, uint256 index) {
        PoolStorage storage $ = _s();
        m = $.market;
        r = $.rates;
        if (r.lastUpdate != block.timestamp) {
            (, uint256 toReserve) = _interest(m, r, $.rateConfig);
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
        r.borrowIndex = newIndex.toUint104();
        interest = scaled.toDebtUp(newIndex) - debt;
        toReserve = interest.mulBpsDown(rc.reserveFactorBps);
    }

    /// @dev Lenders' assets. The reserve and the running auctions' expected loss overlap (the reserve absorbs losses
    /// first), so the larger of the two is deducted.
    function _totalAssets(Market memory m, Rates memory r, AuctionBook storage book) internal view returns (uint256) {
        uint256 gross = uint256(m.cash) + uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex) + book.auctionDebt;
        uint256 reserved = m.reserve;
        uint256 impaired = book.impairment;
        uint256 deducted = reserved > impaired ? reserved : impaired;
        return gross > deducted ? gross - deducted : 0;
    }

    function _deposit(Market memory m, uint256 assets, uint256 shares, address receiver) internal {
        m.cash = (uint256(m.cash) + assets).toUint112();
        _s().market = m;
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
        _pullAsset(msg.sender, assets);
    }

    function _withdraw(Market memory m, uint256 assets, uint256 shares, address receiver, address owner) internal {
        if (assets > m.cash) revert InsufficientLiquidity(assets, m.cash);
        if (msg.sender != owner) _spendAllowance(owner, msg.sender, shares);
        m.cash -= uint112(assets);
        _s().market = m;
        _burn(owner, shares);
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
        ASSET.safeTransfer(receiver, assets);
    }

    /// @dev Pulls exactly `amount` of the asset or reverts: a short receipt means a fee-on-transfer asset.
    function _pullAsset(address from, uint256 amount) internal {
        uint256 before = ASSET.balanceOf(address(this));
        ASSET.safeTransferFrom(from, address(this), amount);
        uint256 received = ASSET.balanceOf(address(this)) - before;
        if (received != amount) revert FeeOnTransfer(amount, received);
    }

    function _checkApproval(address collection_, uint256 tokenId, address owner, uint8 standard) internal view {
        if (INft(collection_).isApprovedForAll(owner, msg.sender)) return;
        if (standard == ERC721_STANDARD && INft(collection_).getApproved(tokenId) == msg.sender) return;
        revert NotApproved(owner, msg.sender);
    }

    function _checkLoan(PoolStorage storage $, uint256 loanId, Loan calldata loan) internal view {
        bytes32 stored = $.loans[loanId];
        if (stored == bytes32(0) || stored != _hash(loan)) revert UnknownLoan(loanId);
    }

    function _hash(Loan memory loan) internal pure returns (bytes32) {
        return keccak256(abi.encode(loan));
    }

    /// @dev Collateral value before haircut: price x amount x (1 + premium), rounded down.
    function _collateralValue(uint256 unitPrice, uint256 amount, uint256 premiumWad) internal pure returns (uint256) {
        uint256 base = unitPrice * amount;
        return premiumWad == 0 ? base : base.mulWadDown(PoolMath.WAD + premiumWad);
    }

    /// @dev value x haircut x liquidation threshold / debt, in WAD, rounded down (against the borrower).
    function _healthFactor(
        Loan calldata loan,
        Terms memory t,
        uint256 debt,
        uint256 unitPrice
    ) internal pure returns (uint256) {
        if (debt == 0) return type(uint256).max;
        uint256 limit = _collateralValue(unitPrice, loan.amount, loan.premiumWad).mulBpsDown(t.haircutBps)
            .mulBpsDown(t.liqThresholdBps);
        return limit.mulDivDown(PoolMath.WAD, debt);
    }

    /// @dev Settlement effects. Waterfall: the frozen debt, then the penalty (reserve and keeper), then the
    /// borrower's surplus; any shortfall is written off, the reserve absorbing first.
    function _settle(
        PoolStorage storage $,
        uint256 loanId,
        Loan calldata loan,
        address buyer,
        uint256 proceeds,
        address keeper
    ) internal returns (uint256 shortfall) {
        uint256 debt = loan.frozenDebt;
        uint256 repaid = proceeds < debt ? proceeds : debt;
        uint256 penalty = debt.mulBpsUp($.terms[loan.collection][loan.termsId].penaltyBps);
        if (penalty > proceeds - repaid) penalty = proceeds - repaid;
        uint256 surplus = proceeds - repaid - penalty;
        uint256 keeperCut = penalty.mulBpsDown($.terms[loan.collection][loan.termsId].keeperShareBps);
        shortfall = debt - repaid;

        AuctionBook memory book = $.book;
        book.auctionDebt -= uint128(debt);
        book.impairment -= uint128(loan.impairment);
        $.book = book;
        Market memory m = $.market;
        m.cash += uint112(repaid + penalty - keeperCut);
        m.reserve += uint104(penalty - keeperCut);
        if (keeperCut != 0) $.claimable[keeper] += keeperCut;
        if (surplus != 0) $.claimable[loan.borrower] += surplus;
        if (shortfall != 0) {
            uint256 fromReserve = shortfall < m.reserve ? shortfall : m.reserve;
            m.reserve -= uint104(fromReserve);
            $.totalBadDebt += uint128(shortfall);
            $.badDebtAbsorbed += uint128(fromReserve);
            emit BadDebt(loanId, shortfall, fromReserve, shortfall - fromReserve);
        }
        $.market = m;
        delete $.loans[loanId];
        emit AuctionSettled(loanId, buyer, proceeds, repaid, surplus, shortfall);
    }

    /// @dev Checks that `loan` is liquidatable and derives its auction terms from the current price and the loan's
    /// own terms. Reverts during an oracle outage: no liquidation starts on a price nobody can trust.
    function _auctionTerms(
        uint256 loanId,
        Loan calldata loan,
        Terms memory t,
        uint256 debt
    ) internal returns (AuctionTerms memory at) {
        uint256 unitPrice = VALUATION.price(loan.collection);
        uint256 hf = _healthFactor(loan, t, debt, unitPrice);
        uint256 liquidatableAt = uint256(loan.dueTime) + t.grace;
        if (hf >= PoolMath.WAD && block.timestamp <= liquidatableAt) {
            revert LoanNotLiquidatable(loanId, hf, liquidatableAt);
        }
        at.debt = debt;
        at.collateralValue = _collateralValue(unitPrice, loan.amount, loan.premiumWad);
        // Both prices round up, in the pool's favour; the reserve is never zero.
        at.reservePrice = at.collateralValue.mulBpsUp(t.auctionReserveBps);
        if (at.reservePrice == 0) at.reservePrice = 1;
        at.startPrice = at.collateralValue.mulBpsUp(t.auctionStartBps);
        if (at.startPrice < at.reservePrice) at.startPrice = at.reservePrice;
        at.duration = t.auctionDuration;
    }

    /// @dev Every borrow check that needs no price: listing, freeze, pause, size, liquidity, standard, approval.
    function _checkBorrow(
        PoolStorage storage $,
        Loan memory loan,
        uint256 idle
    ) internal view returns (Terms memory t) {
        if (loan.principal == 0) revert ZeroAmount();
        CollectionState memory cs = $.collections[loan.collection];
        if (cs.termsId == 0) revert CollectionNotListed(loan.collection);
        if (cs.frozen) revert CollectionFrozen(loan.collection);
        RateConfig memory rc = $.rateConfig;
        if (rc.borrowPaused) revert BorrowPaused();
        if (loan.principal < rc.minLoan) revert LoanTooSmall(loan.principal, rc.minLoan);
        if (loan.principal > idle) revert InsufficientLiquidity(loan.principal, idle);
        t = $.terms[loan.collection][cs.termsId];
        if (t.standard == ERC721_STANDARD ? loan.amount != 1 : loan.amount == 0) revert InvalidAmount(loan.amount);
        if (loan.borrower != msg.sender) _checkApproval(loan.collection, loan.tokenId, loan.borrower, t.standard);
    }

    /// @dev principal <= price x amount x (1 + premium) x haircut x LTV, all rounded down (against the borrower).
    function _checkLtv(Loan memory loan, Terms memory t, uint256 unitPrice) internal pure {
        uint256 value = _collateralValue(unitPrice, loan.amount, loan.premiumWad);
        uint256 maxBorrow = value.mulBpsDown(t.haircutBps).mulBpsDown(t.ltvBps);
        if (loan.principal > maxBorrow) revert ExceedsLtv(loan.principal, maxBorrow);
    }

    /// @dev The verified trait premium as a fraction of the collection price, rounded down (against the borrower).
    function _premium(
        Loan memory loan,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) internal view returns (uint256 premiumWad) {
        uint256 capped = VALUATION.traitPremium(loan.collection, loan.tokenId, premium, proof, unitPrice);
        premiumWad = capped.mulDivDown(PoolMath.WAD, unitPrice);
        if (premiumWad > MAX_PREMIUM_WAD) premiumWad = MAX_PREMIUM_WAD;
    }

    /// @dev Adds a new loan's scaled debt to its collection, enforcing the ceiling with the new loan included.
    function _addCollectionDebt(
        PoolStorage storage $,
        address collection_,
        uint256 scaled,
        uint256 index
    ) internal returns (uint32 termsId) {
        CollectionState storage cs = $.collections[collection_];
        termsId = cs.termsId;
        uint256 newScaled = uint256(cs.scaledDebt) + scaled;
        uint256 collectionDebt = newScaled.toDebtUp(index);
        uint256 ceiling = cs.debtCeiling;
        if (collectionDebt > ceiling) revert ExceedsDebtCeiling(collectionDebt, ceiling);
        cs.scaledDebt = newScaled.toUint112();
    }

    /// @dev Removes scaled debt from a collection's total. Per-loan scaled debts sum exactly to the collection's, so
    /// the clamp at zero only guards against a future rounding change.
    function _removeCollectionDebt(PoolStorage storage $, address collection_, uint256 scaled) internal {
        CollectionState storage cs = $.collections[collection_];
        uint256 csScaled = cs.scaledDebt;
        cs.scaledDebt = uint112(csScaled > scaled ? csScaled - scaled : 0);
    }

    function _returnCollateral(PoolStorage storage $, Loan calldata loan) internal {
        if ($.terms[loan.collection][loan.termsId].standard == ERC721_STANDARD) {
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

    function _sendNft(Loan calldata loan, address to) internal {
        if (_s().terms[loan.collection][loan.termsId].standard == ERC721_STANDARD) {
            INft(loan.collection).transferFrom(address(this), to, loan.tokenId);
        } else {
            INft(loan.collection).safeTransferFrom(address(this), to, loan.tokenId, loan.amount, "");
        }
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
}
